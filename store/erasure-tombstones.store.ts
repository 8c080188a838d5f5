/**
 * What an erasure leaves behind so that events arriving after it do not bring the person back: Meta's ids of their
 * calls (`erased_calls`, `_id` the wacid) and of the messages sent to them (`erased_messages`, `_id` the wamid), and
 * the once-only marks of their inbound messages (`inbound_handled`, `_id` the wamid). Opaque ids and the erasure's
 * time only: nothing here names the person. Meta redelivers a webhook not answered 200 for up to 7 days
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview), and
 * sends a call's `terminate` seconds after its `connect`
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/).
 * Inserts by unique `_id` (a repeated erasure inserts nothing): FerretDB and MongoDB alike.
 */
import type { Collection } from 'mongodb';
import { isDuplicateKey, onlyDuplicateKeys, type Store } from './db';

/** One erased call or message: Meta's id, and when the erasure was. */
export interface TombstoneDoc {
  _id: string;
  erasedAt: Date;
}

/** When this process last erased someone (epoch ms; 0: never): a redelivery right after it is checked too. */
let lastErasureAt = 0;

const erasedCalls = (store: Store): Collection<TombstoneDoc> => store.db.collection<TombstoneDoc>('erased_calls');
const erasedMessages = (store: Store): Collection<TombstoneDoc> => store.db.collection<TombstoneDoc>('erased_messages');

async function insertAll(collection: Collection<{ _id: string }>, docs: { _id: string }[]): Promise<void> {
  if (docs.length === 0) return;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (err) {
    if (!isDuplicateKey(err) && !onlyDuplicateKeys(err)) throw err;
  }
}

/**
 * Records the erased person's calls (wacids), the wamids of messages sent to them and their inbound messages'
 * once-only marks. Written before their data is deleted: an event arriving meanwhile finds the tombstone.
 */
export async function recordTombstones(store: Store, ids: { wacids: string[]; outboundWamids: string[]; inboundWamids: string[] }, erasedAt: Date): Promise<void> {
  lastErasureAt = Math.max(lastErasureAt, erasedAt.getTime());
  await insertAll(erasedCalls(store) as unknown as Collection<{ _id: string }>, [...new Set(ids.wacids)].map((_id) => ({ _id, erasedAt })));
  await insertAll(erasedMessages(store) as unknown as Collection<{ _id: string }>, [...new Set(ids.outboundWamids)].map((_id) => ({ _id, erasedAt })));
  await insertAll(store.handledInbound as unknown as Collection<{ _id: string }>, [...new Set(ids.inboundWamids)].map((_id) => ({ _id, at: erasedAt })));
}

/** Whether the call (Meta's wacid) was an erased person's: its later events are not stored. */
export async function isCallErased(store: Store, wacid: string): Promise<boolean> {
  return (await erasedCalls(store).findOne({ _id: wacid }, { projection: { _id: 1 } })) !== null;
}

/** Whether the message sent (its wamid) was to an erased person: its late statuses are not stored. */
export async function isMessageErased(store: Store, wamid: string): Promise<boolean> {
  return (await erasedMessages(store).findOne({ _id: wamid }, { projection: { _id: 1 } })) !== null;
}

/**
 * How late (ms after Meta's `timestamp`) an inbound message must arrive before it is checked against the erased
 * marks. A fresh message (nearly every one) costs nothing; a redelivery comes later, as Meta retries.
 */
export const REDELIVERY_CHECK_AFTER_MS = 60_000;

/**
 * Whether an inbound message could be the redelivery of an erased one, so worth two reads: it arrives over
 * {@link REDELIVERY_CHECK_AFTER_MS} after it was written, or this process erased someone since then.
 */
export const mayBeErasedRedelivery = (sentAtMs: number, receivedAt: Date): boolean =>
  receivedAt.getTime() - sentAtMs > REDELIVERY_CHECK_AFTER_MS || lastErasureAt >= sentAtMs;

/**
 * Whether an inbound message (its wamid) was erased: its once-only mark stays but the message is gone. A redelivery
 * of it is then a duplicate: not stored, not handed over, the person not registered again.
 */
export async function isInboundErased(store: Store, wamid: string): Promise<boolean> {
  const [mark, message] = await Promise.all([store.handledInbound.findOne({ _id: wamid }, { projection: { _id: 1 } }), store.messages.findOne({ _id: wamid }, { projection: { _id: 1 } })]);
  return mark !== null && message === null;
}
