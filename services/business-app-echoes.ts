import { z } from 'zod';
import { readInbound } from '../lib/inbound-message';
import { receiptSeq } from '../lib/thread-order';
import type { Store } from '../store/db';
import { insertBusinessAppMessage, isKnownWamid } from '../store/messages.store';
import { statusRank, type BusinessAppMessageDoc } from '../store/documents';
import { findNumber } from '../store/numbers.store';
import { recordReaction } from '../store/reactions.store';
import { conversationWorkflowId } from '../lib/conversation-id';
import { customerForInbound } from './customer-identity';
import { UnusablePart } from './unusable-part';

/**
 * Meta's `smb_message_echoes` webhook: what a business on a coexistence number sent from the WhatsApp Business app (or
 * a linked device). https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
 * `value` as Meta writes it: `metadata` (the business number) and `message_echoes[]`.
 */
export const EchoesChangeValue = z.looseObject({
  metadata: z.looseObject({ display_phone_number: z.string().optional(), phone_number_id: z.string().min(1).max(64) }),
  message_echoes: z.array(z.unknown()).optional(),
});
export type EchoesChangeValue = z.infer<typeof EchoesChangeValue>;

/**
 * One echo: `from` the business number, `to` the WhatsApp user's number as the app sent to it (Meta's example writes `+16505551234`: a `+`, spaces
 * or dashes are dropped), `to_user_id` their business-scoped user id where WhatsApp gives one, `id` the wamid,
 * `timestamp` unix seconds, `type` with the object of that name (the message's content, as in a send).
 */
export const CloudMessageEcho = z
  .looseObject({
    id: z.string().min(1).max(256),
    /** The business number the app sent from (digits, or with `+`, spaces, dashes). */
    from: z.string().max(32).optional(),
    to: z
      .string()
      .transform((to) => to.replace(/[\s+()-]/g, ''))
      .pipe(z.string().regex(/^\d{6,15}$/, 'expected the WhatsApp user phone number'))
      .optional(),
    to_user_id: z.string().min(1).optional(),
    timestamp: z.string().regex(/^\d{1,12}$/, 'expected unix seconds as a string'),
    type: z.string().min(1),
  })
  .refine((echo) => echo.to !== undefined || echo.to_user_id !== undefined, { message: 'names no recipient (no to or to_user_id)', path: ['to'] });
export type CloudMessageEcho = z.infer<typeof CloudMessageEcho>;

/**
 * The echo as its customer's thread keeps it: an outbound message `source: 'business_app'`, `_id` its wamid, filed
 * under the conversation id of the customer the registry resolves `to` / `to_user_id` to (the path inbound messages
 * take, services/customer-identity.ts), whether or not that conversation has started. `position`: its place among the
 * webhook body's echoes (receipt order within a second, lib/thread-order.ts).
 */
export async function echoDoc(store: Store, businessNumberId: string, echo: CloudMessageEcho, receivedAt: Date, position = 0): Promise<BusinessAppMessageDoc> {
  const hints = { ...(echo.to ? { phones: [echo.to] } : {}), ...(echo.to_user_id ? { userId: echo.to_user_id } : {}) };
  const customer = await customerForInbound(store, businessNumberId, { hints }, receivedAt);
  // Never later than its receipt, as for inbound messages (a clock running fast would misplace it in the thread).
  const sortAt = Math.min(Number(echo.timestamp) * 1000, receivedAt.getTime());
  // The echo carries Meta's message objects (text.body, image{id, caption}, location…), read as a customer's are.
  const read = readInbound(echo as Record<string, unknown> & { type: string });
  return {
    _id: echo.id,
    direction: 'outbound',
    source: 'business_app',
    wamid: echo.id,
    conversationId: conversationWorkflowId(businessNumberId, customer.key),
    businessNumberId,
    customerKey: customer.key,
    sortAt,
    seq: receiptSeq(receivedAt, position),
    createdAt: receivedAt,
    type: echo.type,
    ...read.content,
    ...(read.category === 'reaction' ? { reaction: { messageId: read.targetWamid, emoji: read.emoji } } : {}),
    sender: { kind: 'business_app' },
    // WhatsApp echoes what it has sent.
    statusRank: statusRank('sent'),
    statusTimes: { sent: new Date(sortAt) },
    raw: JSON.stringify(echo),
  };
}

/** Digits only: Meta writes a number with or without `+`, spaces or dashes. */
const digits = (number: string) => number.replace(/\D/g, '');

/** An echo whose addressing cannot be right: kept as a dead letter of `reason`, `message` saying what is wrong. */
export class MisaddressedEcho extends UnusablePart {
  constructor(reason: 'no_customer' | 'message_unreadable', detail: string) {
    super(reason, detail);
    this.name = 'MisaddressedEcho';
  }
}

/**
 * Refuses (throws MisaddressedEcho) an echo that cannot be what the app sent: `to` the business's own number (an echo
 * goes to a WhatsApp user: `no_customer`), or `from` another number than the business number of
 * `metadata.phone_number_id` (`message_unreadable`), that number being the display number registered here for the id
 * (`POST /v1/numbers`), else the webhook's `metadata.display_phone_number`. A phone number id not registered here is
 * taken, as its customers' messages are (registering numbers is optional: README *Messages sent from the WhatsApp
 * Business app*). https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
 */
export async function checkEchoAddressing(store: Store, metadata: EchoesChangeValue['metadata'], echo: CloudMessageEcho): Promise<void> {
  const id = metadata.phone_number_id;
  const registered = (await findNumber(store, id))?.displayNumber;
  const owns = [registered, metadata.display_phone_number].flatMap((n) => (n && digits(n) ? [digits(n)] : []));
  if (echo.to !== undefined && owns.includes(echo.to)) throw new MisaddressedEcho('no_customer', `to ${echo.to} is the business's own number (phone_number_id ${id}): an echo is sent to a WhatsApp user`);
  const business = owns[0];
  const from = echo.from === undefined ? undefined : digits(echo.from);
  if (business && from !== undefined && from !== business) {
    const whose = registered ? 'as registered here (POST /v1/numbers)' : 'in metadata.display_phone_number';
    throw new MisaddressedEcho('message_unreadable', `from ${from || '(empty)'} is not ${business}, the business number of phone_number_id ${id} ${whose}`);
  }
}

/**
 * Takes one echo: checked (checkEchoAddressing), then a reaction given from the app is folded onto the message it
 * names, `by: 'business_app'`, as a customer's reaction is (the latest per message and reacting party wins, an empty
 * emoji removes it: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/reaction),
 * and any other echo is stored in the thread. Keyed on the wamid either way: a redelivery, or the echo of a message
 * this connector sent itself (its wamid is known), is `duplicate`. Nothing is signalled: an echo is not the customer
 * writing, so it neither opens nor extends the customer service window (opened by "a WhatsApp user messages you":
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows),
 * routes, nor gets automatic replies. Throws MisaddressedEcho, or as the store does (the webhook answers 503 and Meta
 * delivers it again).
 */
export async function takeEcho(store: Store, metadata: EchoesChangeValue['metadata'], echo: CloudMessageEcho, receivedAt: Date, position = 0): Promise<'new' | 'duplicate'> {
  await checkEchoAddressing(store, metadata, echo);
  const doc = await echoDoc(store, metadata.phone_number_id, echo, receivedAt, position);
  if (!doc.reaction) return insertBusinessAppMessage(store, doc);
  if (await isKnownWamid(store, doc.wamid)) return 'duplicate';
  const reaction = { _id: doc.wamid, targetWamid: doc.reaction.messageId, conversationId: doc.conversationId, by: 'business_app', emoji: doc.reaction.emoji, at: new Date(doc.sortAt) };
  return (await recordReaction(store, reaction)) === 'inserted' ? 'new' : 'duplicate';
}
