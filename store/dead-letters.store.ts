import { createHash } from 'node:crypto';
import { isDuplicateKey, type Store } from './db';
import { deadLetterReasons } from './documents';
import type { DeadLetterReason, DeadLetterDoc } from './documents';

// Document types live in store/documents.ts (so store/db.ts imports no store file); kept importable from here.
export { deadLetterReasons, type DeadLetterReason, type DeadLetterDoc };

export type DeadLetter = Omit<DeadLetterDoc, '_id'>;

/**
 * A letter's identity: sha256 of everything that tells two webhook parts apart (reason, field, business number,
 * context: the change's metadata/contacts or the entry's id and time, and the raw part), never of when it arrived, so a
 * redelivery of the same body finds its letter while two accounts' equal values keep a letter each.
 */
export function deadLetterId(letter: DeadLetter): string {
  // JSON of a fixed-order array: no separator inside a field can make two different letters collide.
  const identity = JSON.stringify([letter.reason, letter.field, letter.businessNumberId ?? null, letter.context ?? null, letter.raw]);
  return createHash('sha256').update(identity).digest('hex');
}

/**
 * Keeps a dead letter; one insert keyed on {@link deadLetterId}, so redeliveries of the same part add nothing. Answers
 * whether this letter is new (false: the same part was kept before), so the webhook's answer counts only letters it added.
 */
export async function recordDeadLetter(store: Store, letter: DeadLetter): Promise<boolean> {
  const _id = deadLetterId(letter);
  try {
    await store.deadLetters.insertOne({ _id, ...letter });
    return true;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return false;
  }
}

/** One page of dead letters, newest first; `hasOlder`: more letters lie after the page's last. */
export interface DeadLetterPage {
  docs: DeadLetterDoc[];
  hasOlder: boolean;
}

/** Newest first: later `receivedAt` first, and within one millisecond the greater `_id` first. */
const newestFirst = (a: DeadLetterDoc, b: DeadLetterDoc) => b.receivedAt.getTime() - a.receivedAt.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);

/**
 * The newest `limit` letters, or the newest `limit` after the letter `before` names in that order (keyset paging, as
 * the thread's `listThread`); null when `before` names no letter. Every query filters and sorts by the indexed
 * `receivedAt` alone (equality, or `$lt` and a sort), as FerretDB 1.24 scans on an `$or` of two fields: the letters
 * sharing the cursor's or the page's oldest millisecond are read whole and ordered by id here. A filter on reason
 * scans on FerretDB, which is fine for a supervisor's listing (not a hot path).
 */
export async function listDeadLetters(store: Store, filter: { reason?: DeadLetterReason; limit: number; before?: string }): Promise<DeadLetterPage | null> {
  const byReason = filter.reason ? { reason: filter.reason } : {};
  const at = (receivedAt: Date) => store.deadLetters.find({ ...byReason, receivedAt }).toArray();
  let sameTime: DeadLetterDoc[] = [];
  let upTo = {};
  if (filter.before !== undefined) {
    const cursor = await store.deadLetters.findOne({ _id: filter.before });
    if (!cursor) return null;
    sameTime = (await at(cursor.receivedAt)).filter((doc) => newestFirst(doc, cursor) > 0);
    upTo = { receivedAt: { $lt: cursor.receivedAt } };
  }
  const older = await store.deadLetters
    .find({ ...byReason, ...upTo })
    .sort({ receivedAt: -1 })
    .limit(filter.limit + 1)
    .toArray();
  const oldest = older.at(-1);
  // The limit may cut through the oldest millisecond read: all of it is read so its order by id is whole.
  const completed = oldest ? await at(oldest.receivedAt) : [];
  const all = [...new Map([...sameTime, ...older, ...completed].map((doc) => [doc._id, doc])).values()].sort(newestFirst);
  return { docs: all.slice(0, filter.limit), hasOlder: all.length > filter.limit };
}
