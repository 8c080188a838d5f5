import { z } from 'zod';
import 'zod-openapi';

/**
 * The thread's fields for what customers send, beside `text`: one per Cloud API type, named as Meta names the
 * object (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages).
 */
export const MediaView = z
  .object({
    mediaId: z.string().optional().meta({ description: 'Set once the bytes are fetched, checked and stored; fetch them at url' }),
    url: z.string().optional(),
    mimeType: z.string().optional().meta({ description: 'Checked from the bytes once stored; before that, as the webhook declared it' }),
    caption: z.string().optional(),
    filename: z.string().optional().meta({ description: 'Documents' }),
    voice: z.boolean().optional().meta({ description: 'Audio: a voice note recorded in WhatsApp' }),
    animated: z.boolean().optional().meta({ description: 'Stickers' }),
    sha256: z.string().optional().meta({ description: 'Hex sha256 of the bytes (verified against the webhook)' }),
    size: z.number().optional().meta({ description: 'Bytes' }),
    problem: z
      .string()
      .optional()
      .meta({ description: 'Why the bytes were not kept: too_large, type_mismatch, not_allowed_type, unrecognised_type, sha256_mismatch, fetch_failed' }),
  })
  .meta({ id: 'Media' });

export const InboundFieldsView = {
  image: MediaView.optional(),
  audio: MediaView.optional(),
  video: MediaView.optional(),
  document: MediaView.optional(),
  sticker: MediaView.optional(),
  location: z
    .object({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional(), url: z.string().optional() })
    .optional(),
  contacts: z.array(z.record(z.string(), z.unknown())).optional().meta({ description: "Meta's contact objects (name, phones, emails…), as the customer shared them" }),
  interactive: z
    .object({
      type: z.enum(['button_reply', 'list_reply', 'nfm_reply']),
      id: z.string().optional(),
      title: z.string().optional(),
      description: z.string().optional(),
      name: z.string().optional(),
      body: z.string().optional(),
      responseJson: z.string().optional().meta({ description: "nfm_reply: the Flow's answer, as Meta's JSON string" }),
    })
    .optional()
    .meta({ description: 'The reply button or list row the customer chose (id and title), or a Flow answer' }),
  button: z.object({ text: z.string(), payload: z.string().optional() }).optional().meta({ description: "A quick-reply button of one of our templates" }),
  order: z
    .object({
      catalogId: z.string(),
      text: z.string().optional(),
      productItems: z.array(z.object({ productRetailerId: z.string(), quantity: z.number(), itemPrice: z.number().optional(), currency: z.string().optional() })),
    })
    .optional(),
  unsupported: z
    .object({ type: z.string().optional(), errors: z.array(z.object({ code: z.number(), title: z.string(), details: z.string().optional() })) })
    .optional()
    .meta({ description: "What WhatsApp could not deliver (Meta's errors[], e.g. 131051), or a shape we could not read" }),
  context: z
    .object({
      messageId: z.string().optional(),
      from: z.string().optional(),
      forwarded: z.boolean().optional(),
      frequentlyForwarded: z.boolean().optional(),
      referredProduct: z
        .object({ catalogId: z.string().optional(), productRetailerId: z.string().optional() })
        .optional()
        .meta({ description: "Meta's context.referred_product: the catalogue item the customer asked about from a product message" }),
    })
    .optional()
    .meta({ description: 'The message this one replies to (its wamid), whether it was forwarded, and the product it asks about' }),
  referral: z
    .object({
      sourceUrl: z.string().optional(),
      sourceId: z.string().optional(),
      sourceType: z.string().optional(),
      body: z.string().optional(),
      headline: z.string().optional(),
      mediaType: z.string().optional(),
      imageUrl: z.string().optional(),
      videoUrl: z.string().optional(),
      thumbnailUrl: z.string().optional(),
      ctwaClid: z.string().optional(),
      welcomeMessage: z.string().optional().meta({ description: "The ad's greeting the customer saw (Meta's referral.welcome_message.text)" }),
    })
    .optional()
    .meta({ description: 'The click-to-WhatsApp ad the customer came from, with ctwa_clid (absent for an ad in WhatsApp Status)' }),
  reactions: z
    .array(z.object({ emoji: z.string(), by: z.string(), at: z.string() }))
    .optional()
    .meta({ description: "Current reactions to this message, one per reacting party (a removed one is gone): a customer's, `by` their key, and the business's given from the WhatsApp Business app, `by: business_app`" }),
  event: z.boolean().optional().meta({ description: 'Not the customer writing in the 1:1 chat (system notice, welcome request, edit, revoke, a group message): it neither opens the window nor routes' }),
  group: z
    .object({ id: z.string() })
    .optional()
    .meta({ description: "Written in a WhatsApp group (Meta's group_id): an event in the writer's thread; the group's window is not the 1:1 one" }),
  system: z
    .object({ type: z.string(), body: z.string().optional(), waId: z.string().optional(), userId: z.string().optional() })
    .optional()
    .meta({ description: 'user_changed_number / user_changed_user_id' }),
  edit: z.object({ originalMessageId: z.string(), message: z.record(z.string(), z.unknown()).optional() }).optional(),
  revoke: z.object({ originalMessageId: z.string() }).optional(),
  callPermissionReply: z
    .object({
      response: z.enum(['accept', 'reject']),
      isPermanent: z.boolean(),
      expiresAt: z.string().optional(),
      responseSource: z.string(),
      repliedAt: z.string(),
    })
    .optional()
    .meta({ description: "The customer's answer to a call permission request: their own message when they tapped Allow or Decline (responseSource user_action), an event when WhatsApp answered for them (automatic); GET /v1/conversations/{id}/call-permission says whether a call may be placed" }),
  identityKeyHash: z
    .string()
    .optional()
    .meta({ description: "The writer's identity key hash (Meta's contacts[].identity_key_hash), present while the number's identity change check is on: a different hash than before means their identity key changed" }),
  editedBy: z.string().optional().meta({ description: 'The customer edited this message: the id of the edit event in this thread' }),
  revokedAt: z.string().optional().meta({ description: 'The customer deleted this message for everyone, at this time' }),
};
