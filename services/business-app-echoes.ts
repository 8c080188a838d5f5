import { z } from 'zod';
import { readInbound } from '../lib/inbound-message';
import { receiptSeq } from '../lib/thread-order';
import { isDuplicateKey, type Store } from '../store/db';
import { statusRank, type BusinessAppMessageDoc } from '../store/documents';
import { conversationWorkflowId } from '../workflows/conversation.messages';
import { customerForInbound } from './customer-identity';

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
 * One echo: `to` the WhatsApp user's number as the app sent to it (Meta's example writes `+16505551234`: a `+`, spaces
 * or dashes are dropped), `to_user_id` their business-scoped user id where WhatsApp gives one, `id` the wamid,
 * `timestamp` unix seconds, `type` with the object of that name (the message's content, as in a send).
 */
export const CloudMessageEcho = z
  .looseObject({
    id: z.string().min(1).max(256),
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

/**
 * Stores one echo, keyed on its wamid: a redelivery (or an echo of a message this connector sent itself, whose wamid
 * it knows) stores nothing and answers `duplicate`. Nothing is signalled: an echo is not the customer writing, so it
 * neither opens nor extends the customer service window (opened by "a WhatsApp user messages you":
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows),
 * routes, nor gets automatic replies. Throws as the store does (the webhook answers 503 and Meta delivers it again).
 */
export async function storeEcho(store: Store, doc: BusinessAppMessageDoc): Promise<'new' | 'duplicate'> {
  if (await store.wamids.findOne({ _id: doc.wamid })) return 'duplicate';
  try {
    await store.messages.insertOne(doc);
    return 'new';
  } catch (err) {
    if (isDuplicateKey(err)) return 'duplicate';
    throw err;
  }
}
