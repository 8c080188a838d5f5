import type { SendMessageEffect } from '../machines/conversation.types';
import { secondWindow, storedSeq, threadOrder } from '../lib/thread-order';
import { isDuplicateKey, onlyDuplicateKeys, type Store } from './db';
import {
  statusRank,
  isConnectorOutbound,
  type BusinessAppMessageDoc,
  type DeliveryStatusDoc,
  type InboundMessageDoc,
  type MessageDoc,
  type MessageFailure,
  type MessagePricing,
  type OutboundMessageDoc,
} from './documents';

/** The status values Meta's status webhook reference documents for a message the business sent. */
export const DELIVERY_STATUSES: readonly DeliveryStatusDoc['status'][] = ['sent', 'delivered', 'read', 'played', 'failed'];
export const isDeliveryStatus = (status: string): status is DeliveryStatusDoc['status'] => (DELIVERY_STATUSES as readonly string[]).includes(status);
/** A status's place in {@link outboundStatuses}; `played` has none (it comes with `read`, which it never moves). */
const rankOf = (status: DeliveryStatusDoc['status']) => (status === 'played' ? -1 : statusRank(status));

export type InboundInsertResult = 'inserted' | 'duplicate-handled' | 'duplicate-unhandled';

/** Stores a customer message keyed on its wamid; a redelivery finds the first copy and says whether it was handled. */
export async function insertInbound(store: Store, doc: InboundMessageDoc): Promise<InboundInsertResult> {
  try {
    await store.messages.insertOne(doc);
    return 'inserted';
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const existing = await store.messages.findOne({ _id: doc._id });
    if (existing?.direction !== 'inbound') return 'duplicate-unhandled';
    return existing.handled || (await isInboundHandled(store, doc._id)) ? 'duplicate-handled' : 'duplicate-unhandled';
  }
}

/** Whether the wamid is one the connector's own sends were answered with (recorded by {@link recordAccepted}). */
export async function isKnownWamid(store: Store, wamid: string): Promise<boolean> {
  return (await store.wamids.findOne({ _id: wamid }, { projection: { _id: 1 } })) !== null;
}

/**
 * Stores a message written from the WhatsApp Business app (services/business-app-echoes.ts), keyed on its wamid: a
 * redelivery, or the echo of a message this connector sent itself (its wamid is known), stores nothing and answers
 * `duplicate`.
 */
export async function insertBusinessAppMessage(store: Store, doc: BusinessAppMessageDoc): Promise<'new' | 'duplicate'> {
  if (await isKnownWamid(store, doc.wamid)) return 'duplicate';
  try {
    await store.messages.insertOne(doc);
    return 'new';
  } catch (err) {
    if (isDuplicateKey(err)) return 'duplicate';
    throw err;
  }
}

/** Whether the message's conversation has handled it (see markInboundHandled). */
export async function isInboundHandled(store: Store, messageId: string): Promise<boolean> {
  return (await store.handledInbound.findOne({ _id: messageId })) !== null;
}

/** The outbound message as first stored: queued, at the time the conversation accepted it. */
function queuedDoc(send: SendMessageEffect): OutboundMessageDoc {
  return {
    _id: send.messageId,
    direction: 'outbound',
    conversationId: send.conversationId,
    businessNumberId: send.businessNumberId,
    customerKey: send.customer.key,
    sortAt: send.acceptedAt,
    // Stored after whatever it answers was received, and before it is sent to WhatsApp.
    seq: storedSeq(),
    createdAt: new Date(send.acceptedAt),
    content: send.message,
    sender: send.sender,
    statusRank: statusRank('queued'),
    statusTimes: { queued: new Date(send.acceptedAt) },
  };
}

/** Creates the outbound message on first sight; on a retried activity returns the stored copy unchanged. */
export async function ensureOutbound(store: Store, send: SendMessageEffect): Promise<OutboundMessageDoc> {
  const doc = queuedDoc(send);
  await store.messages.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
  const stored = await store.messages.findOne({ _id: doc._id });
  if (!stored || !isConnectorOutbound(stored)) throw new Error(`message ${doc._id} is not an outbound message`);
  return stored;
}

/**
 * Stores sends the conversation accepted as `queued`, all in one unordered insert: a message already stored (by its
 * send activity, or by a retried projection) is left as it is.
 */
export async function recordQueued(store: Store, sends: readonly SendMessageEffect[]): Promise<void> {
  if (sends.length === 0) return;
  try {
    await store.messages.insertMany(sends.map(queuedDoc), { ordered: false });
  } catch (err) {
    if (!isDuplicateKey(err) && !onlyDuplicateKeys(err)) throw err;
  }
}

export async function recordAccepted(store: Store, messageId: string, wamid: string, at: Date, recipientWaId?: string): Promise<void> {
  await store.wamids.updateOne({ _id: wamid }, { $setOnInsert: { messageId } }, { upsert: true });
  await store.messages.updateOne(
    { _id: messageId },
    { $set: { wamid, 'statusTimes.accepted': at, ...(recipientWaId ? { recipientWaId } : {}) }, $max: { statusRank: statusRank('accepted') } },
  );
}

/** The send itself failed (refused by the broker, or given up): recorded on the message by the worker that sent it. */
export async function recordFailed(store: Store, messageId: string, failure: MessageFailure, at: Date): Promise<void> {
  await store.messages.updateOne(
    { _id: messageId },
    { $set: { 'statusTimes.failed': at, failure }, $max: { statusRank: statusRank('failed') } },
  );
}

export type StatusUpdate = Omit<DeliveryStatusDoc, '_id'>;

/**
 * Records a delivery status webhook: one insert, so it costs the same however large the store grows, and a
 * redelivered (wamid, status) pair is a duplicate key that changes nothing. Returns false for such a repeat.
 */
export async function recordStatus(store: Store, update: StatusUpdate): Promise<boolean> {
  try {
    await store.deliveryStatuses.insertOne({ _id: `${update.wamid}:${update.status}`, ...update });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** The outbound message a wamid belongs to, if the send's answer has been recorded (or the broker echoed our id). */
export async function outboundFor(store: Store, wamid: string, messageId?: string): Promise<OutboundMessageDoc | null> {
  const id = messageId ?? (await store.wamids.findOne({ _id: wamid }))?.messageId;
  const message = id ? await store.messages.findOne({ _id: id }) : null;
  return message && isConnectorOutbound(message) ? message : null;
}

// `_id: { $in }` in chunks: MongoDB reads them by index; FerretDB scans the statuses once per chunk.
const statusLookupChunk = 250;

/**
 * The messages with the broker's delivery statuses folded in: the highest status wins (sent < delivered < read <
 * failed, so a late or repeated webhook never moves a message back and a late failure still shows), each status's
 * time is kept, and the pricing category and failure come from the statuses that carried them.
 */
export async function withDeliveryStatuses(store: Store, messages: readonly MessageDoc[]): Promise<MessageDoc[]> {
  const wamids = messages.flatMap((m) => (m.direction === 'outbound' && m.wamid ? [m.wamid] : []));
  const byWamid = new Map<string, DeliveryStatusDoc[]>();
  for (let i = 0; i < wamids.length; i += statusLookupChunk) {
    const ids = wamids.slice(i, i + statusLookupChunk).flatMap((wamid) => DELIVERY_STATUSES.map((status) => `${wamid}:${status}`));
    for (const doc of await store.deliveryStatuses.find({ _id: { $in: ids } }).toArray()) {
      byWamid.set(doc.wamid, [...(byWamid.get(doc.wamid) ?? []), doc]);
    }
  }
  return messages.map((m) => (m.direction === 'outbound' && m.wamid && byWamid.has(m.wamid) ? foldStatuses(m, byWamid.get(m.wamid)!) : m));
}

function foldStatuses<T extends OutboundMessageDoc | BusinessAppMessageDoc>(message: T, statuses: DeliveryStatusDoc[]): T {
  const ordered = [...statuses].sort((a, b) => rankOf(a.status) - rankOf(b.status));
  const statusTimes = { ...message.statusTimes, ...Object.fromEntries(ordered.map((s) => [s.status, s.at])) };
  const pricingCategory = [...ordered].reverse().find((s) => s.pricingCategory)?.pricingCategory ?? message.pricingCategory;
  const pricing = [...ordered].reverse().find((s) => s.pricing)?.pricing ?? message.pricing;
  const failure = message.failure ?? ordered.find((s) => s.failure)?.failure;
  return {
    ...message,
    statusRank: Math.max(message.statusRank, ...ordered.map((s) => rankOf(s.status))),
    statusTimes,
    ...(pricingCategory ? { pricingCategory } : {}),
    ...(pricing ? { pricing } : {}),
    ...(failure ? { failure } : {}),
  };
}

/** The most messages one page of a thread holds, and how many it holds when the caller names no `limit`. */
export const THREAD_PAGE_MAX = 500;
export const THREAD_PAGE_DEFAULT = 200;

/** One page of a thread, oldest first; `hasOlder`: messages written before the page's first exist. */
export interface ThreadPage {
  docs: MessageDoc[];
  hasOlder: boolean;
}

/**
 * One page of a conversation's thread in the order the messages were written (lib/thread-order.ts: by the second
 * each was written, then, within a second, as WhatsApp's inbound timestamps have no finer one, by the order the
 * connector received or stored them): the newest `limit` messages, or, with `before` (a message id of this
 * thread), the newest `limit` written before that message. Null when `before` names no message of the thread.
 *
 * The page is cut on whole seconds and then trimmed, so messages sharing a second are ordered by the same rule on
 * either side of a cut; every query filters on the conversation and `sortAt` alone (FerretDB: see store/db.ts).
 */
export async function listThread(store: Store, conversationId: string, options: { limit?: number; before?: string } = {}): Promise<ThreadPage | null> {
  const limit = options.limit ?? THREAD_PAGE_DEFAULT;
  const inSecond = async (sortAt: number) => {
    const { from, to } = secondWindow(sortAt);
    return store.messages.find({ conversationId, sortAt: { $gte: from, $lt: to } }).toArray();
  };
  let cursor: MessageDoc | null = null;
  let sameSecond: MessageDoc[] = [];
  if (options.before !== undefined) {
    cursor = await store.messages.findOne({ _id: options.before });
    if (!cursor || cursor.conversationId !== conversationId) return null;
    const at = cursor;
    sameSecond = (await inSecond(at.sortAt)).filter((doc) => threadOrder(doc, at) < 0);
  }
  const upTo = cursor ? { sortAt: { $lt: secondWindow(cursor.sortAt).from } } : {};
  const older = await store.messages.find({ conversationId, ...upTo }).sort({ sortAt: -1, _id: -1 }).limit(limit + 1).toArray();
  const oldest = older.at(-1);
  // The limit may cut through the oldest second read: all of it is read to tell which of its messages come first.
  const completed = oldest ? await inSecond(oldest.sortAt) : [];
  const byId = new Map([...sameSecond, ...older, ...completed].map((doc) => [doc._id, doc]));
  const all = [...byId.values()].sort(threadOrder);
  return { docs: await withDeliveryStatuses(store, all.slice(-limit)), hasOlder: all.length > limit };
}

/**
 * Records what became of an inbound media object, under the message's own type (`image`, `audio`, `document`…):
 * stored (with its media id and checked facts) or refused (with the reason).
 */
export async function recordInboundMedia(
  store: Store,
  messageId: string,
  type: string,
  result: { mediaId: string; mimeType: string; size: number; sha256: string } | { problem: string },
): Promise<void> {
  const set = Object.fromEntries(Object.entries(result).map(([key, value]) => [`${type}.${key}`, value]));
  await store.messages.updateOne({ _id: messageId, direction: 'inbound' }, { $set: set });
}

/** Messages by our id, with their delivery statuses folded in; ids the store does not hold are absent. */
export async function messagesById(store: Store, messageIds: readonly string[]): Promise<Map<string, MessageDoc>> {
  const docs = await Promise.all(messageIds.map((_id) => store.messages.findOne({ _id })));
  const folded = await withDeliveryStatuses(store, docs.filter((doc): doc is MessageDoc => doc !== null));
  return new Map(folded.map((doc) => [doc._id, doc]));
}

/**
 * The WhatsApp pricing category of each outbound message, by our message id: `unpriced` while no status webhook has
 * carried one, `not_stored` for an id the store does not hold. One `_id` look-up each (the shape FerretDB indexes),
 * then their statuses.
 */
/**
 * Each outbound message's pricing category as {@link pricingCategories} answers it, and the pricing the status webhooks
 * carried (absent while none has, or for an id the store does not hold).
 */
export async function pricingOf(store: Store, messageIds: readonly string[]): Promise<{ category: string; pricing?: MessagePricing }[]> {
  const byId = await messagesById(store, messageIds);
  return messageIds.map((id) => {
    const doc = byId.get(id) as Partial<OutboundMessageDoc> | undefined;
    if (!doc) return { category: 'not_stored' };
    const pricing = doc.pricing ?? (doc.pricingCategory ? { category: doc.pricingCategory } : undefined);
    return { category: doc.pricingCategory ?? 'unpriced', ...(pricing ? { pricing } : {}) };
  });
}

export async function pricingCategories(store: Store, messageIds: readonly string[]): Promise<string[]> {
  const byId = await messagesById(store, messageIds);
  return messageIds.map((id) => {
    const doc = byId.get(id);
    return doc ? ((doc as Partial<OutboundMessageDoc>).pricingCategory ?? 'unpriced') : 'not_stored';
  });
}
