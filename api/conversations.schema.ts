import { z } from 'zod';
import 'zod-openapi';
import { UNSAFE_FILENAME_MESSAGE, unsafeFilenameCharacter } from '../lib/file-names';
import { normaliseConversationId } from '../lib/conversation-id';
import { checkCustomerNumber } from '../lib/phone-numbers';
import { SessionMessages } from '../lib/session-messages';
import { InboundFieldsView } from './inbound-view.schema';
import { THREAD_PAGE_DEFAULT, THREAD_PAGE_MAX } from '../store/messages.store';
import { once, wholeNumber } from './query-params';

/** Request and response schemas of the conversation API; the OpenAPI document is generated from these. */

const NOT_A_NUMBER = 'the customer part is written as a phone number but is none: write the wa_id, digits with the country code (wa:106540352242922:15551234567), or the user_id';

/** In a path or query: the customer's number in any common writing is taken as its wa_id (`normaliseConversationId`). */
export const ConversationId = z
  .string()
  .max(300)
  .overwrite((id) => normaliseConversationId(id) ?? id)
  .refine((id) => normaliseConversationId(id) !== undefined, { message: NOT_A_NUMBER, abort: true })
  .regex(/^wa:[^:\s]{1,64}:[^:\s]{1,160}$/, 'expected wa:<phone-number-id>:<customer-id>')
  .meta({
    description: 'wa:<business phone-number id>:<customer user_id or wa_id>; a number written +1 555-123-4567 or 0015551234567 is taken as its wa_id',
    example: 'wa:106540352242922:15551234567',
  });

const PlaceholderName = z.string().regex(/^[a-z0-9_]{1,64}$/).meta({ description: 'For named placeholders; omit for {{1}}-style ones' });

// By `type` (text when absent), so a refusal names the field at fault rather than "Invalid input" for the whole parameter.
const TemplateParameter = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('text').default('text'),
    text: z.string().min(1).max(1024),
    name: PlaceholderName.optional(),
  }),
  z.strictObject({ type: z.enum(['image', 'video']), link: z.url({ protocol: /^https$/ }).max(2000).meta({ description: 'An image or video header, by HTTPS link' }) }),
  z.strictObject({ type: z.literal('document'), link: z.url({ protocol: /^https$/ }).max(2000), filename: z.string().min(1).max(240).refine((name) => unsafeFilenameCharacter(name) === undefined, UNSAFE_FILENAME_MESSAGE).optional() }),
  z.strictObject({ type: z.literal('location'), latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().max(1000).optional(), address: z.string().max(1000).optional() }),
  z.strictObject({ type: z.literal('coupon_code'), couponCode: z.string().min(1).max(15).meta({ description: 'A copy-code button\'s code' }) }),
  z.strictObject({ type: z.literal('payload'), payload: z.string().min(1).max(1000).meta({ description: "A quick-reply button's payload (a carousel card's)" }) }),
  // Meta's parameter object: a body placeholder may take an amount or a date, shown as its fallback_value (template-messages page).
  z
    .strictObject({
      type: z.literal('currency'),
      fallbackValue: z.string().min(1).max(1024).meta({ description: 'What WhatsApp shows, e.g. "$100.99"' }),
      code: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code, e.g. USD').meta({ example: 'USD' }),
      amount1000: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).meta({ description: 'The amount times 1000, e.g. 100990 for 100.99', example: 100990 }),
      name: PlaceholderName.optional(),
    })
    .meta({ description: "A body placeholder's amount (Meta's currency parameter); body placeholders only" }),
  z
    .strictObject({
      type: z.literal('date_time'),
      fallbackValue: z.string().min(1).max(1024).meta({ description: 'What WhatsApp shows, e.g. "February 25, 1977"' }),
      name: PlaceholderName.optional(),
    })
    .meta({ description: "A body placeholder's date (Meta's date_time parameter); body placeholders only" }),
]);

const TemplateComponent = z.strictObject({
  type: z.enum(['header', 'body', 'button']),
  index: z.number().int().min(0).max(9).optional(),
  subType: z.enum(['quick_reply', 'url', 'copy_code']).optional(),
  parameters: z.array(TemplateParameter).max(20),
});

/** A media card carousel's cards: each card's header media, body and button parameters, by its zero-based index. */
const TemplateCarouselComponent = z
  .strictObject({
    type: z.literal('carousel'),
    cards: z.array(z.strictObject({ cardIndex: z.number().int().min(0).max(9), components: z.array(TemplateComponent).max(4) })).min(1).max(10),
  })
  .meta({ description: "A carousel template's cards, each by its cardIndex (0-based), as many as the template defines" });

export const TemplateMessage = z
  .strictObject({
    type: z.literal('template'),
    name: z.string().regex(/^[a-z0-9_]{1,512}$/),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/).meta({ example: 'en_US' }),
    components: z.array(z.discriminatedUnion('type', [TemplateComponent, TemplateCarouselComponent])).max(10).optional(),
  })
  .meta({ id: 'TemplateMessage' });

export const OutboundMessage = z
  .discriminatedUnion('type', [...SessionMessages, TemplateMessage])
  .meta({ id: 'OutboundMessage', description: 'Session messages need an open window; a template may be sent at any time.' });

/** A send as the API takes it: `replyTo` and a reaction's `messageId` are resolved to wamids before the send. */
export type OutboundRequest = z.infer<typeof OutboundMessage>;

/**
 * Who sends, as the caller says it: optional, since the key decides (an agent key is its registered agent, any other
 * writer is an integrator). A claim that differs from what the key proves is refused with 403 `sender_not_proven`.
 */
const ClaimedSender = z
  .strictObject({ kind: z.enum(['agent', 'integrator', 'bot']), id: z.string().min(1).max(128).optional() })
  .optional()
  .meta({ description: 'Optional: recorded from the API key (an agent key: that agent; otherwise the integrator key). Must agree with it (403 sender_not_proven).' });

export const SendMessageBody = z
  .strictObject({
    message: OutboundMessage,
    sender: ClaimedSender,
  })
  .meta({ id: 'SendMessageBody' });

const CustomerIdentity = z
  .strictObject({
    waId: z
      .string()
      .max(32)
      .transform((text, ctx) => {
        // Never a guessed country: a national writing is refused, not sent to whoever the digits name elsewhere.
        const checked = checkCustomerNumber(text);
        if ('digits' in checked) return checked.digits;
        ctx.addIssue({ code: 'custom', message: `${checked.refused}: ${checked.message}` });
        return z.NEVER;
      })
      .optional()
      .meta({ description: 'Phone number with its country code: digits ("15550104477") or starting with + or 00 ("+1 (555) 010-4477"); a national writing without it ("(555) 010-4477") or an extension is refused (400). Stored as WhatsApp writes it (digits)' }),
    userId: z.string().regex(/^[A-Z]{2}\.[A-Za-z0-9.]{1,140}$/).optional().meta({ description: 'Business-scoped user id' }),
  })
  .refine((c) => c.waId !== undefined || c.userId !== undefined, { message: 'give waId or userId' });

export const StartConversationBody = z
  .strictObject({
    businessNumberId: z.string().regex(/^\d{1,64}$/).meta({ description: 'Cloud API phone-number id of the business number' }),
    customer: CustomerIdentity,
    template: TemplateMessage.omit({ type: true }),
    sender: ClaimedSender,
  })
  .meta({ id: 'StartConversationBody' });

export const CloseConversationBody = z
  .strictObject({ sender: ClaimedSender })
  .meta({ id: 'CloseConversationBody' });

export const ReceiptBody = z
  .strictObject({ sender: ClaimedSender })
  .meta({ id: 'ReceiptBody' });

export const ReceiptAnswer = z
  .object({
    sent: z.boolean().meta({ description: 'Whether a call went to WhatsApp' }),
    reason: z.enum(['unchanged', 'off', 'none', 'debounced', 'refused', 'window_closed', 'closed']).optional(),
  })
  .meta({ id: 'ReceiptAnswer' });

const agentName = z.string().min(1).max(128);
export const TransferBody = z
  .union([z.strictObject({ queue: agentName }), z.strictObject({ agentId: agentName, queue: agentName.optional() })])
  .meta({ id: 'TransferBody', description: 'A queue, or a named agent (asked of the contact centre, optionally within a queue)' });

export const IdempotencyKey = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const ListConversationsQuery = z.strictObject({
  state: z.enum(['inbound', 'openSession', 'handedToAgent', 'expiredNeedsTemplate', 'closed']).optional(),
  agentId: z.string().min(1).max(128).optional(),
  businessNumberId: z.string().min(1).max(64).optional(),
  limit: wholeNumber('limit', { min: 1, max: 500, fallback: 50 }),
});

/**
 * One page of a thread: the newest `limit` messages, or the newest `limit` written before the message `before`
 * names (store/messages.store.ts `listThread`); `hasOlder` in the answer says whether another page lies before.
 */
export const ThreadQuery = z.strictObject({
  limit: wholeNumber('limit', { min: 1, max: THREAD_PAGE_MAX, fallback: THREAD_PAGE_DEFAULT }).meta({ description: `Messages in the page, newest kept (1-${THREAD_PAGE_MAX})` }),
  before: once('before', z.string().min(1).max(256).optional()).meta({ description: "A message id of this thread (the first message's id of the page you hold): the page of messages written before it" }),
});

export const SendAccepted = z
  .object({
    conversationId: z.string(),
    messageId: z.string(),
    status: z.literal('queued'),
  })
  .meta({ id: 'SendAccepted' });

export const ConversationView = z
  .object({
    conversationId: z.string(),
    businessNumberId: z.string(),
    customer: z.object({
      key: z.string(),
      waId: z.string().optional(),
      userId: z.string().optional(),
      username: z.string().optional(),
      profileName: z.string().optional(),
    }),
    state: z.enum(['inbound', 'openSession', 'handedToAgent', 'expiredNeedsTemplate', 'closed']),
    windowOpen: z.boolean(),
    windowClosesAt: z.string().nullable(),
    lastInboundAt: z.string().nullable(),
    lastCalledAt: z
      .string()
      .optional()
      .meta({ description: "The customer's most recent WhatsApp call (it opens or refreshes the customer service window for 24 h, like a message, but is not one); absent while they never called" }),
    agentId: z.string().nullable(),
    inboundCount: z.number(),
    outboundCount: z.number(),
    firstInboundAt: z.string().nullable(),
    firstResponseAt: z.string().nullable(),
    closedReason: z.enum(['idle', 'requested']).nullable(),
    routing: z
      .object({ phase: z.enum(['none', 'bot', 'queued', 'assigned']), queue: z.string().nullable(), attempt: z.number() })
      .meta({ description: 'On the way to a person: the bot stage, queued at the contact centre, or assigned to agentId' }),
    assignedAt: z.string().nullable(),
    holdTimeMs: z.number().nullable().meta({ description: 'First customer message to first agent assigned' }),
    firstResponseMs: z.number().nullable().meta({ description: 'First customer message to first reply by an agent, integrator or bot' }),
    lastMessages: z.array(
      z.object({ messageId: z.string(), direction: z.enum(['inbound', 'outbound']), kind: z.string(), at: z.string() }),
    ),
  })
  .meta({ id: 'Conversation' });

export const MessageView = z
  .object({
    id: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    type: z.string(),
    text: z.string().optional(),
    template: z.object({ name: z.string(), language: z.string() }).optional(),
    // What customers send (media, location, contacts, chosen replies, context, referral, reactions, events), with
    // the fields our own messages add where both directions share a name.
    ...InboundFieldsView,
    interactive: z
      .looseObject({
        type: z.string().meta({ description: 'Inbound: button_reply, list_reply or nfm_reply; outbound: button, list, cta_url or location_request' }),
        id: z.string().optional().meta({ description: 'Inbound: the chosen button or row id' }),
        title: z.string().optional().meta({ description: 'Inbound: the chosen button or row title' }),
        description: z.string().optional(),
        name: z.string().optional().meta({ description: 'nfm_reply: the Flow' }),
        responseJson: z.string().optional().meta({ description: "nfm_reply: the Flow's answer, as Meta's JSON string" }),
        header: z.string().optional(),
        body: z.string().optional(),
        footer: z.string().optional(),
        buttons: z.array(z.object({ id: z.string(), title: z.string() })).optional().meta({ description: 'Outbound reply buttons offered' }),
        button: z.string().optional().meta({ description: "Outbound list: the label of the list's button" }),
        sections: z
          .array(z.object({ title: z.string().optional(), rows: z.array(z.object({ id: z.string(), title: z.string(), description: z.string().optional() })) }))
          .optional(),
        displayText: z.string().optional(),
        url: z.string().optional(),
      })
      .optional()
      .meta({ description: 'Inbound: the reply chosen (or a Flow answer); outbound: what was offered (reply buttons, list, CTA URL, location request)' }),
    reaction: z.object({ messageId: z.string(), emoji: z.string() }).optional().meta({ description: "Outbound: our reaction to the customer's message messageId ('' removes it)" }),
    context: z
      .object({
        messageId: z.string().optional().meta({ description: 'The quoted message (inbound: its wamid; outbound: its id in this thread)' }),
        from: z.string().optional(),
        forwarded: z.boolean().optional(),
        frequentlyForwarded: z.boolean().optional(),
      })
      .optional(),
    source: z
      .enum(['business_app'])
      .optional()
      .meta({ description: 'business_app: written by the business from the WhatsApp Business app on a coexistence number (the smb_message_echoes webhook); content in the inbound fields\' shape, media not fetched' }),
    status: z.enum(['received', 'queued', 'accepted', 'sent', 'delivered', 'read', 'failed']),
    playedAt: z.string().optional().meta({ description: "Outbound voice message: when the customer's device played it (the `played` status webhook; the status stays read)" }),
    at: z.string().meta({ description: 'When the message was written (inbound) or accepted (outbound)' }),
    wamid: z.string().optional(),
    sender: z.object({ kind: z.string(), id: z.string().optional() }).optional(),
    pricingCategory: z.string().optional(),
    pricing: z
      .object({ category: z.string().optional(), type: z.string().optional(), billable: z.boolean().optional(), model: z.string().optional() })
      .optional()
      .meta({ description: "The status webhook's per-message pricing: type regular (charged at category's rate), free_customer_service or free_entry_point" }),
    failure: z
      .object({
        code: z.number(),
        title: z.string(),
        details: z.string().optional(),
        reason: z.string(),
        action: z.enum(['retry', 'refuse', 'closeWindow', 'blockTemplate', 'alert']).optional().meta({ description: "What WhatsApp's code means for the conversation (README, Errors)" }),
        meaning: z.string().optional().meta({ description: 'What the code means and what to do (131048, 131049, 131050)' }),
      })
      .optional(),
    deliveredToAgent: z
      .object({ at: z.string(), callId: z.string() })
      .optional()
      .meta({ description: 'SIP page mode (SIP_CHAT_MODE=message): when the contact centre answered 2xx to the MESSAGE carrying it, in which call' }),
    recipientWaId: z.string().optional().meta({ description: 'The WhatsApp id Meta resolved the recipient to, when it differs from the number sent to' }),
  })
  .meta({ id: 'Message' });

export const TemplateView = z
  .object({ name: z.string(), language: z.string(), category: z.string(), body: z.string() })
  .meta({ id: 'ApprovedTemplate' });

export type SendAccepted = z.infer<typeof SendAccepted>;
export type ConversationView = z.infer<typeof ConversationView>;
export type MessageView = z.infer<typeof MessageView>;
export type TemplateView = z.infer<typeof TemplateView>;
export type StartConversationBody = z.infer<typeof StartConversationBody>;
