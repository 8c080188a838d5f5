import { z } from 'zod';

/**
 * The WhatsApp Cloud API webhook body, as far as the connector relies on it. Unknown fields are kept (Meta adds
 * fields without notice); a body that breaks these shapes is refused whole, before anything is stored or signalled.
 */
const CloudError = z.looseObject({
  code: z.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

const Contact = z.looseObject({
  /** `username` is where Meta puts it (2026): https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids */
  profile: z.looseObject({ name: z.string().optional(), username: z.string().optional() }).optional(),
  wa_id: z.string().min(1).optional(),
  /** Business-scoped user id (2026): present even when the phone number is withheld. */
  user_id: z.string().min(1).optional(),
  /** Parent BSUID, for businesses whose portfolios Meta linked. */
  parent_user_id: z.string().min(1).optional(),
  /** Not where Meta sends it; read only when `profile.username` is absent, in case a broker flattens the contact. */
  username: z.string().optional(),
  /**
   * The user's identity key hash, "only included if identity change check enabled" (messages webhook pages, e.g.
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/reaction/).
   */
  identity_key_hash: z.string().optional().catch(undefined),
});

const unixSeconds = z.string().regex(/^\d{1,12}$/, 'expected unix seconds as a string');

/**
 * A message's envelope: who, when, which type. Its content is read per type by lib/inbound-message.ts (Meta's
 * per-type shapes), one message at a time, so a type Meta adds, or one message shaped unexpectedly, is kept as an
 * `unsupported` message instead of refusing the whole body.
 */
export const CloudInboundMessage = z.looseObject({
  id: z.string().min(1).max(256),
  from: z.string().min(1).optional(),
  from_user_id: z.string().min(1).optional(),
  timestamp: unixSeconds,
  type: z.string().min(1),
  errors: z.array(CloudError).optional(),
});
export type CloudInboundMessage = z.infer<typeof CloudInboundMessage>;

export const CloudStatus = z.looseObject({
  id: z.string().min(1).max(256),
  status: z.string().min(1),
  timestamp: unixSeconds,
  recipient_id: z.string().optional(),
  recipient_user_id: z.string().optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
  /**
   * Per-message pricing (since July 2025): `type` regular (billable), free_customer_service or free_entry_point, with
   * the `category` it is (or would be) charged at; `billable` is being deprecated by Meta in favour of type + category.
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing#pricing-information-in-webhooks
   */
  pricing: z
    .looseObject({
      category: z.string().optional(),
      type: z.string().optional(),
      pricing_model: z.string().optional(),
      billable: z.union([z.boolean(), z.string()]).optional(),
    })
    .optional(),
  errors: z.array(CloudError).optional(),
  /**
   * Conversation-based pricing's conversation (id, `expiration_timestamp` in unix seconds, `origin.type`); absent
   * under per-message pricing. Read leniently: a shape other than Meta's is left out, never costs the status itself.
   */
  conversation: z
    .looseObject({
      id: z.string().optional(),
      expiration_timestamp: z.union([z.string().regex(/^\d{1,12}$/), z.number().int().min(0)]).optional(),
      origin: z.looseObject({ type: z.string().optional() }).optional(),
    })
    .optional()
    .catch(undefined),
});
export type CloudStatus = z.infer<typeof CloudStatus>;

/**
 * A `messages` change: the envelope strictly (no business number, no use), its messages and statuses one by one in
 * ingest, so one part the connector cannot use is kept aside as a dead letter while the rest is processed.
 */
export const MessagesChangeValue = z.looseObject({
  metadata: z.looseObject({ display_phone_number: z.string().optional(), phone_number_id: z.string().min(1).max(64) }),
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});
export type MessagesChangeValue = z.infer<typeof MessagesChangeValue>;
export const CloudContact = Contact;
export type CloudContact = z.infer<typeof Contact>;

/**
 * The webhook body as far as it is refused whole (400): Meta's envelope. What a change carries is judged part by
 * part at ingest (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview).
 */
export const CloudWebhookBody = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.looseObject({ id: z.string(), changes: z.array(z.looseObject({ field: z.string().min(1), value: z.unknown() })) })).min(1),
});
export type CloudWebhookBody = z.infer<typeof CloudWebhookBody>;
