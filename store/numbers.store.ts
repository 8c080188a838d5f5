import type { Store } from './db';
import type { BusinessNumberDoc, ReceiptSettings, LegacyReplyDoc, SendingSettings } from './documents';

// Document types live in store/documents.ts (so store/db.ts imports no store file); kept importable from here.
export { type BusinessNumberDoc, type ReceiptSettings, type LegacyReplyDoc };

export const defaultReceipts: ReceiptSettings = { markRead: true, typing: true };

export async function setReceipts(store: Store, phoneNumberId: string, receipts: ReceiptSettings): Promise<boolean> {
  return (await store.numbers.updateOne({ _id: phoneNumberId }, { $set: { receipts } })).matchedCount === 1;
}

/** Sets (or, with null, clears back to the default) how long the number's data is kept. False for an unknown number. */
export async function setRetention(store: Store, phoneNumberId: string, retention: BusinessNumberDoc['retention'] | null): Promise<boolean> {
  const update = retention ? { $set: { retention } } : { $unset: { retention: '' as const } };
  return (await store.numbers.updateOne({ _id: phoneNumberId }, update)).matchedCount === 1;
}

/** Direct Send and Marketing Messages API options; false when the number is not registered. */
export async function setSending(store: Store, phoneNumberId: string, sending: SendingSettings): Promise<boolean> {
  return (await store.numbers.updateOne({ _id: phoneNumberId }, { $set: { sending } })).matchedCount === 1;
}

export async function findNumber(store: Store, phoneNumberId: string): Promise<BusinessNumberDoc | null> {
  return store.numbers.findOne({ _id: phoneNumberId });
}

export async function listNumbers(store: Store): Promise<BusinessNumberDoc[]> {
  return store.numbers.find({}).sort({ _id: 1 }).toArray();
}

/** False when the id is already registered. */
export async function insertNumber(store: Store, doc: BusinessNumberDoc): Promise<boolean> {
  const result = await store.numbers.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
  return result.upsertedCount === 1;
}

export async function setLegacy(store: Store, phoneNumberId: string, legacy: BusinessNumberDoc['legacy'] | null): Promise<boolean> {
  const update = legacy ? { $set: { legacy } } : { $unset: { legacy: '' as const } };
  return (await store.numbers.updateOne({ _id: phoneNumberId }, update)).matchedCount === 1;
}

/**
 * Claims the right to send the legacy reply to this customer now: true at most once per period. Read then
 * conditional write on `_id` + the time read, so two racing claims cannot both win.
 */
export async function claimLegacyReply(
  store: Store,
  phoneNumberId: string,
  customerKey: string,
  messageId: string,
  now: number,
  periodMs: number,
): Promise<boolean> {
  const _id = `${phoneNumberId}:${customerKey}`;
  const previous = await store.legacyReplies.findOne({ _id });
  if (previous?.messageId === messageId) return true;
  if (!previous) {
    const inserted = await store.legacyReplies.updateOne({ _id }, { $setOnInsert: { lastSentAt: now, messageId } }, { upsert: true });
    return inserted.upsertedCount === 1;
  }
  if (now - previous.lastSentAt < periodMs) return false;
  const moved = await store.legacyReplies.updateOne({ _id, lastSentAt: previous.lastSentAt }, { $set: { lastSentAt: now, messageId } });
  return moved.modifiedCount === 1;
}

/**
 * Gives back a claim whose notice never reached the customer (the broker refused it, or retries ran out), so the
 * customer's next message claims again: the ledger records notices sent, not notices meant. Only the claim that
 * message won is removed; a newer one is left alone.
 */
export async function releaseLegacyReply(store: Store, phoneNumberId: string, customerKey: string, messageId: string): Promise<void> {
  await store.legacyReplies.deleteOne({ _id: `${phoneNumberId}:${customerKey}`, messageId });
}

const LEGACY_NOTICE = 'auto-reply:legacy';

/** After a send failed for good: if it was a legacy notice, its claim goes back (the notice's id is `<customer message>:legacy`). */
export async function releaseUnsentLegacyNotice(store: Store, messageId: string): Promise<void> {
  const sent = await store.messages.findOne({ _id: messageId });
  if (sent?.direction !== 'outbound' || sent.sender.kind !== 'system' || sent.sender.id !== LEGACY_NOTICE) return;
  await releaseLegacyReply(store, sent.businessNumberId, sent.customerKey, messageId.replace(/:legacy$/, ''));
}
