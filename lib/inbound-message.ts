import {
  CloudCallPermissionReply,
  CloudCustomerMessage,
  CloudEvent,
  CloudReaction,
  isMediaType,
  type CloudContext,
  type CloudReferral,
  type MediaType,
} from './inbound-message.schema';
import type { z } from 'zod';
import type { InboundKind } from '../machines/conversation.types';
import type { CallPermissionReply } from './call-permission';

/** Kinds of customer message the conversation handles (the machine only tells `unsupported` apart). */
export type CustomerMessageKind = InboundKind;

/** Events that are not the customer writing: recorded in the thread, never signalled to the conversation. */
export type InboundEventKind = 'system' | 'request_welcome' | 'edit' | 'revoke' | 'unsupported_event' | 'call_permission_reply' | 'group_message';

/**
 * What Meta may deliver as `unsupported` although it is not the customer writing: an action on an earlier message
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/unsupported
 * lists these among `unsupported.type`; edits are "temporarily delivered as unsupported"). Kept as an event, so it
 * neither moves the window nor gets the unsupported-type reply.
 */
/** `errors[].code` of an unsupported message: the type is unknown to the Cloud API (131051), or the content is withheld (131060). */
const TYPE_UNKNOWN = 131051;
const MESSAGE_UNAVAILABLE = 131060;

export const unsupportedActions = new Set(['reaction', 'edit', 'revoke', 'pin', 'keep_in_chat']);

/** A media object as the thread keeps it; `mediaId` once fetched, checked and stored, `problem` when a check failed. */
export interface InboundMedia {
  brokerMediaId: string;
  mimeType?: string;
  /** Hex sha256 the webhook announced (verified against the bytes on download). */
  sha256?: string;
  caption?: string;
  filename?: string;
  /** Audio: a voice note recorded in WhatsApp rather than a shared file. */
  voice?: boolean;
  /** Sticker: animated (limit 500 KB) or static (100 KB). */
  animated?: boolean;
  mediaId?: string;
  size?: number;
  problem?: string;
}

export interface InboundContent {
  text?: string;
  image?: InboundMedia;
  audio?: InboundMedia;
  video?: InboundMedia;
  document?: InboundMedia;
  sticker?: InboundMedia;
  location?: { latitude: number; longitude: number; name?: string; address?: string; url?: string };
  /** Meta's contact objects, as sent. */
  contacts?: Record<string, unknown>[];
  interactive?: { type: 'button_reply' | 'list_reply' | 'nfm_reply'; id?: string; title?: string; description?: string; name?: string; body?: string; responseJson?: string };
  button?: { text: string; payload?: string };
  order?: { catalogId: string; text?: string; productItems: { productRetailerId: string; quantity: number; itemPrice?: number; currency?: string }[] };
  unsupported?: { type?: string; errors: { code: number; title: string; details?: string }[] };
  /** `referredProduct`: the catalogue item the customer asked about from a product message ("Message business"). */
  context?: { messageId?: string; from?: string; forwarded?: boolean; frequentlyForwarded?: boolean; referredProduct?: { catalogId?: string; productRetailerId?: string } };
  referral?: { sourceUrl?: string; sourceId?: string; sourceType?: string; body?: string; headline?: string; mediaType?: string; imageUrl?: string; videoUrl?: string; thumbnailUrl?: string; ctwaClid?: string; welcomeMessage?: string };
  system?: { type: string; body?: string; waId?: string; userId?: string };
  edit?: { originalMessageId: string; message?: Record<string, unknown> };
  revoke?: { originalMessageId: string };
  /** The customer's answer to a call permission request (kept per number and customer: store/call-permissions.store.ts). */
  callPermissionReply?: CallPermissionReply;
  /** Written in a group (Meta's `group_id`, Groups API), not in the 1:1 chat with the business. */
  group?: { id: string };
  /** The writer's `contacts[].identity_key_hash`, sent while the number's identity change check is on. */
  identityKeyHash?: string;
}

export type ReadInbound =
  | { category: 'customer'; kind: CustomerMessageKind; content: InboundContent; media?: { type: MediaType; brokerMediaId: string } }
  | { category: 'reaction'; targetWamid: string; emoji: string; content: InboundContent }
  | { category: 'event'; kind: InboundEventKind; content: InboundContent };

const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

function contextOf(context: z.infer<typeof CloudContext> | undefined): InboundContent['context'] {
  if (!context) return undefined;
  const product = context.referred_product ? defined({ catalogId: context.referred_product.catalog_id, productRetailerId: context.referred_product.product_retailer_id }) : undefined;
  const referredProduct = product && Object.keys(product).length > 0 ? product : undefined;
  const view = defined({ messageId: context.id, from: context.from, forwarded: context.forwarded, frequentlyForwarded: context.frequently_forwarded, referredProduct });
  return Object.keys(view).length > 0 ? view : undefined;
}

function referralOf(referral: z.infer<typeof CloudReferral> | undefined): InboundContent['referral'] {
  if (!referral) return undefined;
  return defined({
    sourceUrl: referral.source_url, sourceId: referral.source_id, sourceType: referral.source_type, body: referral.body, headline: referral.headline,
    mediaType: referral.media_type, imageUrl: referral.image_url, videoUrl: referral.video_url, thumbnailUrl: referral.thumbnail_url, ctwaClid: referral.ctwa_clid,
    welcomeMessage: referral.welcome_message?.text,
  });
}

// `details` beside `title` is the older shape of Meta's unsupported-message errors; `error_data.details` the current one.
const errorsOf = (errors: { code: number; title?: string; message?: string; details?: unknown; error_data?: { details?: string } }[] | undefined) =>
  (errors ?? []).map((e) => defined({ code: e.code, title: e.title ?? e.message ?? 'unknown', details: e.error_data?.details ?? (typeof e.details === 'string' ? e.details : undefined) }));

function customerContent(message: CloudCustomerMessage): ReadInbound & { category: 'customer' | 'event' } {
  const shared = defined({ context: contextOf(message.context), referral: referralOf(message.referral) });
  switch (message.type) {
    case 'text':
      return { category: 'customer', kind: 'text', content: { ...shared, text: message.text.body } };
    case 'image': case 'audio': case 'video': case 'document': case 'sticker': {
      const m = (message as Record<string, unknown>)[message.type] as { id: string; mime_type?: string; sha256?: string; caption?: string; filename?: string; voice?: boolean; animated?: boolean };
      const media: InboundMedia = defined({ brokerMediaId: m.id, mimeType: m.mime_type, sha256: m.sha256, caption: m.caption, filename: m.filename, voice: m.voice, animated: m.animated });
      return { category: 'customer', kind: message.type, content: { ...shared, [message.type]: media }, media: { type: message.type, brokerMediaId: m.id } };
    }
    case 'location':
      return { category: 'customer', kind: 'location', content: { ...shared, location: defined({ ...message.location }) } };
    case 'contacts':
      return { category: 'customer', kind: 'contacts', content: { ...shared, contacts: message.contacts } };
    case 'button':
      return { category: 'customer', kind: 'button', content: { ...shared, button: defined({ text: message.button.text, payload: message.button.payload }) } };
    case 'interactive': {
      const i = message.interactive;
      const interactive: InboundContent['interactive'] =
        i.type === 'button_reply' ? { type: i.type, id: i.button_reply.id, title: i.button_reply.title }
        : i.type === 'list_reply' ? defined({ type: i.type, id: i.list_reply.id, title: i.list_reply.title, description: i.list_reply.description })
        : defined({ type: i.type, name: i.nfm_reply.name, body: i.nfm_reply.body, responseJson: i.nfm_reply.response_json });
      return { category: 'customer', kind: 'interactive', content: { ...shared, interactive } };
    }
    case 'order': {
      const o = message.order;
      const productItems = o.product_items.map((p) => defined({ productRetailerId: p.product_retailer_id, quantity: Number(p.quantity), itemPrice: p.item_price === undefined ? undefined : Number(p.item_price), currency: p.currency }));
      return { category: 'customer', kind: 'order', content: { ...shared, order: defined({ catalogId: o.catalog_id, text: o.text, productItems }) } };
    }
    case 'unsupported': {
      const unsupported = defined({ type: message.unsupported?.type, errors: errorsOf(message.errors) });
      if (unsupported.type && unsupportedActions.has(unsupported.type)) return { category: 'event', kind: 'unsupported_event', content: { ...shared, unsupported } };
      const codes = unsupported.errors.map((e) => e.code);
      const unavailable = codes.includes(MESSAGE_UNAVAILABLE) && !codes.includes(TYPE_UNKNOWN);
      return { category: 'customer', kind: unavailable ? 'unavailable' : 'unsupported', content: { ...shared, unsupported } };
    }
  }
}

function eventContent(message: CloudEvent): ReadInbound & { category: 'event' } {
  switch (message.type) {
    case 'system': {
      const s = message.system;
      return { category: 'event', kind: 'system', content: { system: defined({ type: s.type, body: s.body, waId: s.wa_id ?? s.new_wa_id, userId: s.user_id }) } };
    }
    case 'request_welcome':
      return { category: 'event', kind: 'request_welcome', content: {} };
    case 'edit':
      return { category: 'event', kind: 'edit', content: { edit: defined({ originalMessageId: message.edit.original_message_id, message: message.edit.message }) } };
    case 'revoke':
      return { category: 'event', kind: 'revoke', content: { revoke: { originalMessageId: message.revoke.original_message_id } } };
  }
}

/**
 * Reads one webhook message into what the connector does with it: a customer message (with its thread fields and,
 * for media, the broker's id to fetch), a reaction (attached to the message it names), or an event that is not the
 * customer writing. A type Meta adds later, or a known type in a shape we cannot read, is an `unsupported` customer
 * message that keeps why (Meta's `errors[]`, or `unreadable_payload`), never a lost one. A message written in a group
 * (`group_id`) is an event carrying `group.id`.
 */
export function readInbound(raw: Record<string, unknown> & { type: string }): ReadInbound {
  const read = readOne(raw);
  const groupId = typeof raw.group_id === 'string' && raw.group_id !== '' ? raw.group_id : undefined;
  if (!groupId || read.category === 'reaction') return read;
  // Meta opens a group's window when anyone in the group writes, not the writer's 1:1 window, and a reply to the
  // group goes to the group (https://developers.facebook.com/documentation/business-messaging/whatsapp/groups/pricing):
  // so a group message is kept in the writer's thread as an event, never signalled, routed or answered in private.
  return { category: 'event', kind: read.category === 'event' ? read.kind : 'group_message', content: { ...read.content, group: { id: groupId } } };
}

function readOne(raw: Record<string, unknown> & { type: string }): ReadInbound {
  const permission = CloudCallPermissionReply.safeParse(raw);
  if (permission.success) {
    const content = { callPermissionReply: callPermissionReplyOf(permission.data) };
    // The user tapping Allow or Decline is a message they send (an `interactive` reply in the `messages` field, with
    // `from`, its own wamid and `context` naming our request): like a button reply it opens or refreshes the window
    // ("When a WhatsApp user messages you", service messages page) and reaches the conversation. `automatic` is
    // WhatsApp answering for the user (a permission granted with their call, which opens the window itself): an event.
    return content.callPermissionReply.responseSource === 'automatic'
      ? { category: 'event', kind: 'call_permission_reply', content }
      : { category: 'customer', kind: 'interactive', content };
  }
  const customer = CloudCustomerMessage.safeParse(raw);
  if (customer.success) return customerContent(customer.data);
  const reaction = CloudReaction.safeParse(raw);
  if (reaction.success) {
    return { category: 'reaction', targetWamid: reaction.data.reaction.message_id, emoji: reaction.data.reaction.emoji ?? '', content: {} };
  }
  const event = CloudEvent.safeParse(raw);
  if (event.success) return eventContent(event.data);
  const known = isMediaType(raw.type) || ['text', 'location', 'contacts', 'button', 'interactive', 'order', 'reaction', 'system', 'edit', 'revoke'].includes(raw.type);
  const errors = Array.isArray(raw.errors) ? errorsOf(raw.errors as never) : [];
  return {
    category: 'customer',
    kind: 'unsupported',
    content: { unsupported: { type: raw.type, errors: known ? [{ code: 0, title: 'unreadable_payload', details: `a ${raw.type} message in a shape Meta does not document` }, ...errors] : errors } },
  };
}

/** Meta's reply as we keep it: times in epoch ms. */
function callPermissionReplyOf(message: CloudCallPermissionReply): CallPermissionReply {
  const r = message.interactive.call_permission_reply;
  const expires = r.expiration_timestamp === undefined ? undefined : Number(r.expiration_timestamp) * 1000;
  return {
    response: r.response,
    isPermanent: r.is_permanent ?? false,
    ...(expires !== undefined ? { expiresAt: expires } : {}),
    responseSource: r.response_source ?? 'user_action',
    repliedAt: Number(message.timestamp) * 1000,
    messageId: message.id,
  };
}
