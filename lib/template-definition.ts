import { z } from 'zod';
import 'zod-openapi';

/**
 * A message template as supervisors write it: a text, image, video, document or location header; a body with
 * numbered ({{1}}) or named ({{first_name}}) placeholders and their example values; a footer; quick-reply, URL,
 * phone-number, copy-code and Flow buttons; an authentication (one-time password) template; or a media card carousel. Pure: shared by the
 * API, the broker client and the send-time parameter check. The schema checks shape only; Meta's rules (lengths,
 * placeholders, examples, button limits) live in lib/template-rules.ts and answer 422 naming the rule; what a send must
 * supply for it, in lib/template-parameters.ts.
 * Meta: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
 */

const PLACEHOLDER = /\{\{\s*([a-z0-9_]+)\s*\}\}/g;
const text = (max: number) => z.string().min(1).max(max);

/** A header sample: an image (or video, document) uploaded with POST /v1/media, sent to WhatsApp for review. */
const Sample = z.strictObject({ mediaId: z.string().min(1).max(200) }).meta({ description: 'Media id from POST /v1/media; uploaded to WhatsApp as the header sample (header_handle)' });

export const TemplateButton = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('quick_reply'), text: text(200) }),
  z.strictObject({
    type: z.literal('url'),
    text: text(200),
    // https only: a `javascript:` or `data:` link would run in whoever opens it (the console's preview, the customer's app).
    url: z
      .string()
      .min(1)
      .max(2000)
      .refine((url) => /^https:\/\/[^/?#\s]/i.test(url), 'only https:// links')
      .meta({ description: 'An https:// link; may end with one {{1}} placeholder for a per-message suffix' }),
    example: text(2000).optional().meta({ description: 'A sample suffix for {{1}}; required when the URL has one' }),
  }),
  z.strictObject({ type: z.literal('phone_number'), text: text(200), phoneNumber: text(40).meta({ example: '+15550783881' }) }),
  z.strictObject({ type: z.literal('copy_code'), example: text(200).meta({ description: 'A sample offer code (at most 15 characters)' }) }),
  z.strictObject({
    type: z.literal('flow'),
    text: text(200),
    flowId: z.string().regex(/^\d{1,32}$/),
    flowAction: z.enum(['navigate', 'data_exchange']).optional(),
    navigateScreen: z.string().min(1).max(200).optional(),
  }),
]);
export type TemplateButton = z.infer<typeof TemplateButton>;

export const TemplateAuthentication = z
  .strictObject({
    otpType: z.enum(['copy_code', 'one_tap']),
    buttonText: text(200).optional(),
    /** Android apps for one-tap autofill: package name and the app's 11-character signing-key hash. */
    supportedApps: z.array(z.strictObject({ packageName: text(224), signatureHash: text(64) })).max(5).optional(),
    addSecurityRecommendation: z.boolean().optional(),
    codeExpirationMinutes: z.number().int().optional(),
  })
  .meta({ description: 'One-time-password template: WhatsApp writes the text; body.text must be its preset' });

const Examples = z
  .union([z.array(text(1024)).max(100), z.record(z.string(), text(1024))])
  .meta({ description: 'Example values: a list for {{1}}, {{2}}…; an object by name for named placeholders' });

/**
 * One card of a media card carousel: an image or video header (its sample uploaded with POST /v1/media), an optional
 * body (at most 160 characters) and up to two quick-reply, URL or phone-number buttons; every card alike.
 * Meta: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/marketing-templates/media-card-carousel-templates
 */
export const TemplateCarouselCard = z.strictObject({
  header: z.strictObject({ format: z.enum(['image', 'video']), sample: Sample.optional() }),
  body: z.strictObject({ text: text(4096), examples: Examples.optional() }).optional(),
  buttons: z.array(TemplateButton).max(10).optional(),
});
export type TemplateCarouselCard = z.infer<typeof TemplateCarouselCard>;

export const TemplateDefinition = z
  .strictObject({
    header: z
      .discriminatedUnion('format', [
        z.strictObject({ format: z.literal('text'), text: text(400), example: text(400).optional() }),
        z.strictObject({ format: z.literal('image'), sample: Sample.optional() }),
        z.strictObject({ format: z.literal('video'), sample: Sample.optional() }),
        z.strictObject({ format: z.literal('document'), sample: Sample.optional() }),
        z.strictObject({ format: z.literal('location') }),
      ])
      .optional(),
    body: z.strictObject({
      text: text(4096),
      examples: Examples.optional(),
    }),
    footer: z.strictObject({ text: text(400) }).optional(),
    buttons: z.array(TemplateButton).max(20).optional(),
    authentication: TemplateAuthentication.optional(),
    carousel: z
      .strictObject({ cards: z.array(TemplateCarouselCard).min(1).max(20) })
      .optional()
      .meta({ description: 'A media card carousel (marketing only): the body above, then 2 to 10 cards; no header, footer or buttons of its own' }),
  })
  .meta({ id: 'TemplateDefinition' });
export type TemplateDefinition = z.infer<typeof TemplateDefinition>;

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** True when the template uses named placeholders ({{first_name}}), which Meta calls parameter_format NAMED. */
export function isNamed(def: TemplateDefinition): boolean {
  const header = def.header?.format === 'text' ? placeholdersIn(def.header.text) : [];
  const cards = (def.carousel?.cards ?? []).flatMap((c) => (c.body ? placeholdersIn(c.body.text) : []));
  return [...header, ...placeholdersIn(def.body.text), ...cards].some((p) => !/^\d+$/.test(p));
}

/** `text` with each `{{name}}` replaced by `value(name)`. */
export function fillPlaceholders(text: string, value: (name: string) => string): string {
  return text.replace(PLACEHOLDER, (_m, name: string) => value(name));
}

