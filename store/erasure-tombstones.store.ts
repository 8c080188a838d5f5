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

const clock = (store: Store): Collection<{ _id: string; at: Date }> => store.db.collection<{ _id: string; at: Date }>('erasure_clock');

/** When anyone last erased someone (epoch ms; 0: never), as {@link recordTombstones} left it: one read by `_id`. */
export async function latestErasureAt(store: Store): Promise<number> {
  return (await clock(store).findOne({ _id: 'latest' }))?.at.getTime() ?? 0;
}

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
 * reactions included), and moves `erasure_clock` to `erasedAt`. Written before their data is deleted: an event
 * arriving meanwhile finds the tombstone (when events are checked: services/erasure-clock.ts).
 */
export async function recordTombstones(store: Store, ids: { callIds: string[]; wamids: string[] }, erasedAt: Date): Promise<void> {
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
 * Writes a record naming a call (`write`) unless the call's caller was erased: not at all when its tombstone is there,
 * and taken back (`undo`, given what `write` answered) when the tombstone appears while writing. The erasure records
 * its tombstones before it deletes (store/erasure.store.ts), so a write racing it is either deleted by it or caught by
 * the second read. Answers what `write` answered, or undefined when the call is an erased person's.
 */
export async function writeUnlessCallErased<T>(store: Store, callId: string, write: () => Promise<T>, undo: (written: T) => Promise<void>): Promise<T | undefined> {
  if (await isCallErased(store, callId)) return undefined;
  const written = await write();
  if (!(await isCallErased(store, callId))) return written;
  await undo(written);
  return undefined;
}

/**
 * Whether the message (its wamid) was an erased person's: a late status of a message sent to them is dropped, and
 * Meta's redelivery of a message of theirs is a duplicate (not stored, not handed over, the person not registered).
 */
export async function isMessageErased(store: Store, wamid: string): Promise<boolean> {
  return (await erasedMessages(store).findOne({ _id: tombstoneId(wamid) }, { projection: { _id: 1 } })) !== null;
}
