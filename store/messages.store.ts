import type { SendMessageEffect } from '../machines/conversation.types';
import { isDuplicateKey, type Store } from './db';
import {
  statusRank,
  type InboundMessageDoc,
  type MessageDoc,
  type MessageFailure,
  type OutboundMessageDoc,
  type OutboundStatus,
  type PendingStatusDoc,
} from './documents';

const pendingStatusKinds: PendingStatusDoc['status'][] = ['sent', 'delivered', 'read', 'failed'];

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

/** Whether the message's conversation has handled it (see markInboundHandled). */
export async function isInboundHandled(store: Store, messageId: string): Promise<boolean> {
  return (await store.handledInbound.findOne({ _id: messageId })) !== null;
}

/** Creates the outbound message on first sight; on a retried activity returns the stored copy unchanged. */
export async function ensureOutbound(store: Store, send: SendMessageEffect): Promise<OutboundMessageDoc> {
  const doc: OutboundMessageDoc = {
    _id: send.messageId,
    direction: 'outbound',
    conversationId: send.conversationId,
    businessNumberId: send.businessNumberId,
    customerKey: send.customer.key,
    sortAt: send.acceptedAt,
    createdAt: new Date(send.acceptedAt),
    content: send.message,
    sender: send.sender,
    statusRank: statusRank('queued'),
    statusTimes: { queued: new Date(send.acceptedAt) },
  };
  await store.messages.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
  const stored = await store.messages.findOne({ _id: doc._id });
  if (stored?.direction !== 'outbound') throw new Error(`message ${doc._id} is not an outbound message`);
  return stored;
}

export async function recordAccepted(store: Store, messageId: string, wamid: string, at: Date): Promise<void> {
  await store.wamids.updateOne({ _id: wamid }, { $setOnInsert: { messageId } }, { upsert: true });
  await store.messages.updateOne(
    { _id: messageId },
    { $set: { wamid, 'statusTimes.accepted': at }, $max: { statusRank: statusRank('accepted') } },
  );
  // Statuses can overtake the send's own answer; apply any that were waiting for this wamid.
  // Pending ids are `wamid:status`: four `_id` look-ups stay indexed on FerretDB, where a `wamid` query scans.
  const waiting = await Promise.all(pendingStatusKinds.map((status) => store.pendingStatuses.findOne({ _id: `${wamid}:${status}` })));
  for (const pending of waiting) {
    if (!pending) continue;
    await applyToMessage(store, { _id: messageId }, pending.status, pending.at, pending.pricingCategory, pending.failure);
    await store.pendingStatuses.deleteOne({ _id: pending._id });
  }
}

export async function recordFailed(store: Store, messageId: string, failure: MessageFailure, at: Date): Promise<void> {
  await applyToMessage(store, { _id: messageId }, 'failed', at, undefined, failure);
}

export interface StatusUpdate {
  wamid: string;
  /** Our message id, echoed back by the broker as `biz_opaque_callback_data`. */
  messageId?: string;
  status: PendingStatusDoc['status'];
  at: Date;
  pricingCategory?: string;
  failure?: MessageFailure;
}

/**
 * Applies a delivery status. Idempotent (a repeated (wamid, status) pair changes nothing) and monotonic (`$max`
 * on the rank: sent < delivered < read; a late `failed` is still recorded). Returns the message it updated, or
 * null when the wamid is not known yet, in which case the status waits in `pending_statuses`.
 */
export async function applyStatus(store: Store, update: StatusUpdate): Promise<OutboundMessageDoc | null> {
  const messageId = update.messageId ?? (await store.wamids.findOne({ _id: update.wamid }))?.messageId;
  const message = messageId
    ? await applyToMessage(store, { _id: messageId }, update.status, update.at, update.pricingCategory, update.failure)
    : null;
  if (message) return message;
  const pending: PendingStatusDoc = { _id: `${update.wamid}:${update.status}`, ...update };
  delete (pending as { messageId?: string }).messageId;
  await store.pendingStatuses.updateOne({ _id: pending._id }, { $setOnInsert: pending }, { upsert: true });
  return null;
}

async function applyToMessage(
  store: Store,
  filter: { _id: string },
  status: OutboundStatus,
  at: Date,
  pricingCategory?: string,
  failure?: MessageFailure,
): Promise<OutboundMessageDoc | null> {
  const set: Record<string, unknown> = { [`statusTimes.${status}`]: at };
  if (pricingCategory) set.pricingCategory = pricingCategory;
  if (failure) set.failure = failure;
  // `_id` alone in the filter (see connectStore); an inbound id never matches a wamid or our message ids.
  const updated = await store.messages.findOneAndUpdate(
    filter,
    { $set: set, $max: { statusRank: statusRank(status) } },
    { returnDocument: 'after' },
  );
  return updated?.direction === 'outbound' ? updated : null;
}

/** A conversation's thread in WhatsApp order: by the time each message was written, not when it arrived. */
export async function listThread(store: Store, conversationId: string, limit = 200): Promise<MessageDoc[]> {
  return store.messages.find({ conversationId }).sort({ sortAt: 1, _id: 1 }).limit(limit).toArray();
}

/** Records what became of an inbound image: stored (with its media id) or refused (with the reason). */
export async function recordInboundImage(
  store: Store,
  messageId: string,
  result: { mediaId: string; mimeType: string; size: number; sha256: string } | { problem: string },
): Promise<void> {
  const set = Object.fromEntries(Object.entries(result).map(([key, value]) => [`image.${key}`, value]));
  await store.messages.updateOne({ _id: messageId, direction: 'inbound' }, { $set: set });
}

/**
 * The WhatsApp pricing category of each outbound message, by our message id: `unpriced` while no status webhook has
 * carried one, `not_stored` for an id the store does not hold. One `_id` look-up each, the shape FerretDB indexes.
 */
export async function pricingCategories(store: Store, messageIds: readonly string[]): Promise<string[]> {
  const docs = await Promise.all(messageIds.map((_id) => store.messages.findOne({ _id }, { projection: { pricingCategory: 1, direction: 1 } })));
  return docs.map((doc) => (doc ? ((doc as Partial<OutboundMessageDoc>).pricingCategory ?? 'unpriced') : 'not_stored'));
}
