/**
 * Webhook bodies for every kind of inbound message Meta's "messages webhook reference" documents
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages): customer
 * messages of each type, with `context` (a reply) and `referral` (a click-to-WhatsApp ad), reactions, and the events
 * that are not the customer writing. Shared by the simulator, tests and benchmarks.
 */
import { messagesBody, newWamid, profileNameOf, type CloudWebhookBody, type InboundOptions } from './cloud-api.payloads';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface InboundMessageOptions extends InboundOptions {
  /** Meta's message `type` (text, image, audio, video, document, sticker, location, contacts, button, interactive…). */
  type: string;
  /** The object named by `type`, exactly as Meta shapes it (an array for `contacts`); absent for `request_welcome`. */
  content?: unknown;
  /** A reply to an earlier message (`context.id`), or forwarded. */
  context?: { id?: string; from?: string; forwarded?: boolean; frequently_forwarded?: boolean };
  referral?: Record<string, unknown>;
  errors?: { code: number; title: string; message?: string; error_data?: { details: string } }[];
  /** Meta sends no `contacts` array with system messages. */
  withoutContacts?: boolean;
}

/** One inbound message of any type, in a `messages` change, as Meta delivers it. */
export function inboundMessageWebhook(opts: InboundMessageOptions): CloudWebhookBody {
  const contact = {
    profile: { name: profileNameOf(opts) },
    ...(opts.from ? { wa_id: opts.from } : {}),
    ...(opts.userId ? { user_id: opts.userId } : {}),
    ...(opts.username ? { username: opts.username } : {}),
  };
  const message = {
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.userId ? { from_user_id: opts.userId } : {}),
    id: opts.wamid ?? newWamid(),
    timestamp: String(opts.timestamp ?? nowSeconds()),
    type: opts.type,
    ...(opts.content !== undefined ? { [opts.type]: opts.content } : {}),
    ...(opts.context ? { context: opts.context } : {}),
    ...(opts.referral ? { referral: opts.referral } : {}),
    ...(opts.errors ? { errors: opts.errors } : {}),
  };
  return messagesBody(opts, { ...(opts.withoutContacts ? {} : { contacts: [contact] }), messages: [message] });
}

/** A reaction to `messageId`; without `emoji` the customer takes their reaction back (Meta omits the field). */
export const reactionWebhook = (opts: InboundOptions & { messageId: string; emoji?: string }) =>
  inboundMessageWebhook({ ...opts, type: 'reaction', content: { message_id: opts.messageId, ...(opts.emoji ? { emoji: opts.emoji } : {}) } });

/** The customer changed their phone number (`user_changed_number`) or user id (`user_changed_user_id`). */
export const systemWebhook = (
  opts: InboundOptions & { systemType: 'user_changed_number' | 'user_changed_user_id'; newWaId?: string; newUserId?: string; body?: string },
) =>
  inboundMessageWebhook({
    ...opts,
    type: 'system',
    withoutContacts: true,
    content: {
      body: opts.body ?? `User ${opts.profileName ?? 'Customer'} changed from ${opts.from ?? opts.userId} to ${opts.newWaId ?? opts.newUserId}`,
      type: opts.systemType,
      ...(opts.newWaId ? { wa_id: opts.newWaId } : {}),
      ...(opts.newUserId ? { user_id: opts.newUserId } : {}),
    },
  });

/** Meta's "unsupported" message: what the customer sent cannot be delivered by the Cloud API. */
export const unsupportedWebhook = (opts: InboundOptions & { unsupportedType?: string }) =>
  inboundMessageWebhook({
    ...opts,
    type: 'unsupported',
    content: { type: opts.unsupportedType ?? 'poll_creation' },
    errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } }],
  });
