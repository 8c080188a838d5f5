import { z } from 'zod';
import { wholeNumber } from './query-params';
import 'zod-openapi';
import { MessageView, TemplateMessage } from './conversations.schema';

/** Request and response schemas of the campaign API; the OpenAPI document is generated from these. */

export const CampaignId = z
  .string()
  .regex(/^cmp_[a-f0-9]{32}$/, 'expected cmp_ and 32 hex digits')
  .meta({ description: 'Campaign id, as POST /v1/campaigns answered it', example: 'cmp_3f1c0d9a6b7e4c2d8e5f1a0b9c8d7e6f' });

/**
 * The number is checked per recipient when the campaign reaches them, so one unreachable entry is refused alone; the
 * template parameters are checked for every row at creation (422 template_parameters_mismatch naming the row).
 */
const Recipient = z
  .strictObject({
    waId: z.string().min(1).max(32).optional().meta({ description: 'Phone number, digits only (6 to 15)' }),
    userId: z.string().min(1).max(160).optional().meta({ description: 'Business-scoped user id' }),
    components: TemplateMessage.shape.components.meta({ description: "This recipient's template parameters; every row is checked against the template at creation (422 naming recipients.<row>)" }),
  })
  .refine((r) => r.waId !== undefined || r.userId !== undefined, { message: 'give waId or userId' });

export const CreateCampaignBody = z
  .strictObject({
    businessNumberId: z.string().regex(/^\d{1,64}$/).meta({ description: 'Cloud API phone-number id of the business number' }),
    template: TemplateMessage.pick({ name: true, language: true }),
    recipients: z
      .array(Recipient)
      .min(1)
      .max(10_000)
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((r, i) => {
          const key = r.userId ?? r.waId!;
          if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `customer ${key} is listed twice` });
          seen.add(key);
        });
      }),
    ratePerSecond: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .optional()
      .meta({ description: "Recipients handed over per second; default half the number's send rate, at most all of it" }),
    whenTierUsedUp: z
      .enum(['wait', 'refuse'])
      .default('wait')
      .meta({ description: 'wait: sleep until a unit of the tier frees; refuse: record the recipient as refused and go on' }),
  })
  .meta({ id: 'CreateCampaignBody' });

export const EmptyBody = z.strictObject({});

export const ListRecipientsQuery = z.strictObject({
  from: wholeNumber('from', { min: 0, max: 1_000_000_000, fallback: 0 }).meta({ description: 'Index of the first recipient (list order)' }),
  limit: wholeNumber('limit', { min: 1, max: 500, fallback: 100 }),
});

const states = ['running', 'paused', 'waitingForTier', 'completed', 'cancelled'] as const;
const deliveryStatuses = ['queued', 'accepted', 'sent', 'delivered', 'read', 'failed'] as const;

export const CampaignView = z
  .object({
    campaignId: z.string(),
    businessNumberId: z.string(),
    template: z.object({ name: z.string(), language: z.string() }),
    state: z.enum(states),
    total: z.number().int(),
    processed: z.number().int().meta({ description: 'Recipients dealt with so far, in list order' }),
    counts: z
      .object({ pending: z.number().int(), queued: z.number().int(), refused: z.number().int(), cancelled: z.number().int() })
      .meta({ description: 'Recipients by what the campaign did with them' }),
    refusals: z.record(z.string(), z.number().int()).meta({ description: 'Refused recipients by error code' }),
    // An object, not z.record(z.enum(…)): the same type, but OpenAPI tools see each status as a defined property.
    delivery: z
      .object(Object.fromEntries(deliveryStatuses.map((status) => [status, z.number().int()])) as Record<(typeof deliveryStatuses)[number], z.ZodNumber>)
      .meta({ description: 'Queued messages by delivery status, from the broker’s status webhooks' }),
    ratePerSecond: z.number().int(),
    whenTierUsedUp: z.enum(['wait', 'refuse']),
    resumesAt: z.string().nullable().meta({ description: 'While waitingForTier: when the next unit of the tier frees' }),
    pausedFor: z
      .object({ holdId: z.string(), reason: z.string(), alertId: z.string().optional() })
      .nullable()
      .meta({ description: 'Paused by an account-health hold (number flagged, account restricted, template paused, spam limit): GET /v1/alerts/{alertId} says what to do' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Campaign' });

export const RecipientView = z
  .object({
    index: z.number().int(),
    customer: z.object({ waId: z.string().optional(), userId: z.string().optional() }),
    status: z.enum(['pending', 'refused', 'cancelled', ...deliveryStatuses]),
    messageId: z.string().optional(),
    conversationId: z.string().optional(),
    refusal: z.object({ code: z.string(), detail: z.string().optional() }).optional().meta({ description: 'Why the campaign did not send' }),
    failure: MessageView.shape.failure.meta({ description: 'Why the broker did not deliver (with WhatsApp’s code)' }),
  })
  .meta({ id: 'CampaignRecipient' });

export const RecipientPage = z.object({
  recipients: z.array(RecipientView),
  next: z.number().int().nullable().meta({ description: 'The `from` of the next page; null on the last' }),
});

export type CreateCampaignBody = z.infer<typeof CreateCampaignBody>;
export type CampaignView = z.infer<typeof CampaignView>;
export type RecipientView = z.infer<typeof RecipientView>;
export type RecipientPage = z.infer<typeof RecipientPage>;
