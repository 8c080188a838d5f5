import { z } from 'zod';

/**
 * What one entry of a `messages` webhook's `messages[]` can carry, per Meta's "messages webhook reference" and its
 * per-type pages (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages).
 * Objects are loose: Meta adds fields without notice, and what we do not read is still kept in the message's `raw`.
 * The webhook route checks only the envelope (id, sender, timestamp, type); each message is read with
 * {@link CloudMessage} on its own, so one message Meta shapes unexpectedly never costs the others in its batch.
 */

const CloudError = z.looseObject({
  code: z.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

/** A media object as the webhook names it: the broker's id, declared type and hash; the URL is fetched by id. */
const Media = z.looseObject({
  id: z.string().min(1),
  mime_type: z.string().optional(),
  /** Hex sha256 of the bytes, checked against what we download. */
  sha256: z.string().optional(),
  url: z.string().optional(),
});

/** Reply-to and forwarding (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text). */
export const CloudContext = z.looseObject({
  from: z.string().optional(),
  id: z.string().optional(),
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
  referred_product: z.looseObject({ catalog_id: z.string().optional(), product_retailer_id: z.string().optional() }).optional(),
});

/** Click-to-WhatsApp ad that started the chat, with `ctwa_clid` for conversion reporting. */
export const CloudReferral = z.looseObject({
  source_url: z.string().optional(),
  source_id: z.string().optional(),
  source_type: z.string().optional(),
  body: z.string().optional(),
  headline: z.string().optional(),
  media_type: z.string().optional(),
  image_url: z.string().optional(),
  video_url: z.string().optional(),
  thumbnail_url: z.string().optional(),
  /** Omitted for an ad shown in WhatsApp Status (location / text webhook pages). */
  ctwa_clid: z.string().optional(),
  /** The ad's greeting the customer saw ("Click to WhatsApp ad greeting text"); one shaped otherwise is left out. */
  welcome_message: z.looseObject({ text: z.string().optional() }).optional().catch(undefined),
});

const ContactCard = z.looseObject({
  name: z.looseObject({ formatted_name: z.string().optional(), first_name: z.string().optional(), last_name: z.string().optional() }).optional(),
  phones: z.array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional(), type: z.string().optional() })).optional(),
  emails: z.array(z.looseObject({ email: z.string().optional(), type: z.string().optional() })).optional(),
  addresses: z.array(z.looseObject({})).optional(),
  org: z.looseObject({}).optional(),
  urls: z.array(z.looseObject({ url: z.string().optional(), type: z.string().optional() })).optional(),
  birthday: z.string().optional(),
});

const base = {
  id: z.string().min(1).max(256),
  from: z.string().min(1).optional(),
  from_user_id: z.string().min(1).optional(),
  timestamp: z.string(),
  context: CloudContext.optional(),
  referral: CloudReferral.optional(),
  errors: z.array(CloudError).optional(),
};

const message = <T extends string, S extends z.ZodType>(type: T, content: S) =>
  z.looseObject({ ...base, type: z.literal(type), [type]: content } as { type: z.ZodLiteral<T> } & typeof base & Record<T, S>);

/** Customer messages: the customer wrote something an agent or bot should see. */
export const CloudCustomerMessage = z.discriminatedUnion('type', [
  message('text', z.looseObject({ body: z.string() })),
  message('image', Media.extend({ caption: z.string().optional() })),
  message('audio', Media.extend({ voice: z.boolean().optional() })),
  message('video', Media.extend({ caption: z.string().optional() })),
  message('document', Media.extend({ caption: z.string().optional(), filename: z.string().optional() })),
  message('sticker', Media.extend({ animated: z.boolean().optional() })),
  message(
    'location',
    z.looseObject({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional(), url: z.string().optional() }),
  ),
  message('contacts', z.array(ContactCard).min(1)),
  /** A quick-reply button of one of our templates. */
  message('button', z.looseObject({ text: z.string(), payload: z.string().optional() })),
  message(
    'interactive',
    z.discriminatedUnion('type', [
      z.looseObject({ type: z.literal('button_reply'), button_reply: z.looseObject({ id: z.string(), title: z.string() }) }),
      z.looseObject({
        type: z.literal('list_reply'),
        list_reply: z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() }),
      }),
      /** A WhatsApp Flow's answer: `response_json` is the Flow's own JSON, as a string. */
      z.looseObject({
        type: z.literal('nfm_reply'),
        nfm_reply: z.looseObject({ name: z.string().optional(), body: z.string().optional(), response_json: z.string() }),
      }),
    ]),
  ),
  message(
    'order',
    z.looseObject({
      catalog_id: z.string(),
      text: z.string().optional(),
      product_items: z.array(
        z.looseObject({ product_retailer_id: z.string(), quantity: z.union([z.number(), z.string()]), item_price: z.union([z.number(), z.string()]).optional(), currency: z.string().optional() }),
      ),
    }),
  ),
  /** Meta could not deliver what the customer sent (poll, view-once…): `errors[]` says why, `unsupported.type` what. */
  z.looseObject({ ...base, type: z.literal('unsupported'), unsupported: z.looseObject({ type: z.string().optional() }).optional() }),
]);
export type CloudCustomerMessage = z.infer<typeof CloudCustomerMessage>;

/** A reaction to an earlier message; `emoji` absent (or empty) when the customer took it back. */
export const CloudReaction = message('reaction', z.looseObject({ message_id: z.string().min(1), emoji: z.string().optional() }));
export type CloudReaction = z.infer<typeof CloudReaction>;

/**
 * The user's answer to a call permission request (Meta's `interactive.type: call_permission_reply`):
 * `expiration_timestamp` (seconds) only for a temporary permission that was accepted.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 */
export const CloudCallPermissionReply = message(
  'interactive',
  z.looseObject({
    type: z.literal('call_permission_reply'),
    call_permission_reply: z.looseObject({
      response: z.enum(['accept', 'reject']),
      is_permanent: z.boolean().optional(),
      expiration_timestamp: z.union([z.number(), z.string().regex(/^\d+$/)]).optional(),
      response_source: z.string().optional(),
    }),
  }),
);
export type CloudCallPermissionReply = z.infer<typeof CloudCallPermissionReply>;

/** Events that are not the customer writing. */
export const CloudEvent = z.discriminatedUnion('type', [
  /** https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system */
  message(
    'system',
    z.looseObject({
      body: z.string().optional(),
      type: z.string(),
      wa_id: z.string().optional(),
      new_wa_id: z.string().optional(),
      user_id: z.string().optional(),
      customer: z.string().optional(),
    }),
  ),
  /** The customer opened the chat for the first time (conversational components, welcome messages). */
  z.looseObject({ ...base, type: z.literal('request_welcome') }),
  /** Coexistence only: the customer edited (within 15 minutes) or deleted an earlier message. */
  message('edit', z.looseObject({ original_message_id: z.string(), message: z.looseObject({ type: z.string().optional() }).optional() })),
  message('revoke', z.looseObject({ original_message_id: z.string() })),
]);
export type CloudEvent = z.infer<typeof CloudEvent>;

export const CloudMessage = z.union([CloudCustomerMessage, CloudReaction, CloudEvent]);
export type CloudMessage = z.infer<typeof CloudMessage>;

/** Customer message types whose content is a media object fetched by id. */
export const mediaTypes = ['image', 'audio', 'video', 'document', 'sticker'] as const;
export type MediaType = (typeof mediaTypes)[number];
export const isMediaType = (type: string): type is MediaType => (mediaTypes as readonly string[]).includes(type);
