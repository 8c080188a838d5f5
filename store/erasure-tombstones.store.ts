/**
 * What an erasure leaves behind so that events arriving after it do not bring the person back: their calls
 * (`erased_calls`: Meta's wacids and the SIP Call-IDs) and their messages, sent and received (`erased_messages`:
 * wamids). Each id is kept as its SHA-256 only: Meta's wamids and wacids are not opaque, they carry a phone number in
 * base64 (`wamid.HBgLMTY1MDM4Nzk0MzkV…` holds 16503879439), while a hash of the whole id (a random part included)
 * cannot be walked back to a number. Meta redelivers a webhook not answered 200 for up to 7 days
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview), and sends a call's
 * `terminate` seconds after its `connect`
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/).
 * Inserts by unique `_id` (a repeated erasure inserts nothing): FerretDB and MongoDB alike.
 */
import { createHash } from 'node:crypto';
import type { Collection } from 'mongodb';
import { isDuplicateKey, onlyDuplicateKeys, type Store } from './db';

/** One erased call or message: the SHA-256 (hex) of its id, and when the erasure was. */
export interface TombstoneDoc {
  _id: string;
  erasedAt: Date;
}

/** The tombstone's `_id` for a wamid, wacid or Call-ID. */
export const tombstoneId = (id: string): string => createHash('sha256').update(id).digest('hex');

/** When this process last erased someone (epoch ms; 0: never): a redelivery right after it is checked too. */
let lastErasureAt = 0;

/**
 * How often a process reads when anyone last erased someone (`erasure_clock`, one document), and how long after an
 * erasure statuses are still checked against the tombstones. A status webhook is most of a number's webhook traffic:
 * reading a tombstone for each took the ingest's store commands from 1.1 to 1.8 per webhook and its ack p99 at 400/s
 * from 70–89 ms to 167–239 ms (`npm run bench:ingest -- --rates 200,400 --seconds 10`, 2026-12-01, three runs each).
 * With no erasure in the last {@link STATUS_CHECK_DAYS} days, a status reads nothing more; a status of an erased
 * person's message that comes later than that (a read receipt a month on) is stored (README, "Events arriving after
 * an erasure").
 */
export const ERASURE_CLOCK_REFRESH_MS = 2_000;
export const STATUS_CHECK_DAYS = 30;

const clock = (store: Store): Collection<{ _id: string; at: Date }> => store.db.collection<{ _id: string; at: Date }>('erasure_clock');
/** The latest erasure any process recorded, as this process last read it (epoch ms), and when it read it. */
let sharedErasureAt = 0;
let clockReadAt = Number.NEGATIVE_INFINITY;

/** Whether anyone erased someone in the last {@link STATUS_CHECK_DAYS} days (read at most every 2 s, by `_id`). */
export async function erasedRecently(store: Store, now = Date.now()): Promise<boolean> {
  if (now - clockReadAt >= ERASURE_CLOCK_REFRESH_MS) {
    clockReadAt = now;
    sharedErasureAt = (await clock(store).findOne({ _id: 'latest' }))?.at.getTime() ?? 0;
  }
  return Math.max(sharedErasureAt, lastErasureAt) > now - STATUS_CHECK_DAYS * 86_400_000;
}

/**
 * Waits until every API process has read the clock {@link recordTombstones} moved (one refresh and a margin), so a
 * status arriving after the erasure's deletes is checked everywhere; one arriving before them is stored and then
 * deleted with the rest of the person's data.
 */
export const untilEveryProcessChecks = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, ERASURE_CLOCK_REFRESH_MS + 500));

const erasedCalls = (store: Store): Collection<TombstoneDoc> => store.db.collection<TombstoneDoc>('erased_calls');
const erasedMessages = (store: Store): Collection<TombstoneDoc> => store.db.collection<TombstoneDoc>('erased_messages');

async function insertAll(collection: Collection<TombstoneDoc>, ids: string[], erasedAt: Date): Promise<void> {
  if (ids.length === 0) return;
  try {
    await collection.insertMany([...new Set(ids.map(tombstoneId))].map((_id) => ({ _id, erasedAt })), { ordered: false });
  } catch (err) {
    if (!isDuplicateKey(err) && !onlyDuplicateKeys(err)) throw err;
  }
}

/**
 * Records the erased person's calls (wacids, SIP Call-IDs) and messages (wamids of those sent to them and of theirs,
 * reactions included). Written before their data is deleted: an event arriving meanwhile finds the tombstone.
 */
export async function recordTombstones(store: Store, ids: { callIds: string[]; wamids: string[] }, erasedAt: Date): Promise<void> {
  lastErasureAt = Math.max(lastErasureAt, erasedAt.getTime());
  await insertAll(erasedCalls(store), ids.callIds, erasedAt);
  await insertAll(erasedMessages(store), ids.wamids, erasedAt);
  // One document, replaced by `_id` (a scan of one document on FerretDB); racing erasures both leave a recent time.
  await clock(store).replaceOne({ _id: 'latest' }, { at: erasedAt }, { upsert: true });
}

/** Whether the call (Meta's wacid) was an erased person's: its later events are not stored. */
export async function isCallErased(store: Store, wacid: string): Promise<boolean> {
  return (await erasedCalls(store).findOne({ _id: tombstoneId(wacid) }, { projection: { _id: 1 } })) !== null;
}

/**
 * Whether the message (its wamid) was an erased person's: a late status of a message sent to them is dropped, and
 * Meta's redelivery of a message of theirs is a duplicate (not stored, not handed over, the person not registered).
 */
export async function isMessageErased(store: Store, wamid: string): Promise<boolean> {
  return (await erasedMessages(store).findOne({ _id: tombstoneId(wamid) }, { projection: { _id: 1 } })) !== null;
}

/**
 * How late (ms after Meta's `timestamp`) an inbound message must arrive before it is checked against the erased
 * marks. A fresh message (nearly every one) costs nothing; a redelivery comes later, as Meta retries.
 */
export const REDELIVERY_CHECK_AFTER_MS = 60_000;

/**
 * Whether an inbound message could be the redelivery of an erased one, so worth a read: it arrives over
 * {@link REDELIVERY_CHECK_AFTER_MS} after it was written, or this process erased someone since then.
 */
export const mayBeErasedRedelivery = (sentAtMs: number, receivedAt: Date): boolean =>
  receivedAt.getTime() - sentAtMs > REDELIVERY_CHECK_AFTER_MS || lastErasureAt >= sentAtMs;
