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

/** Newest first. Not a hot path: a filter on reason scans on FerretDB, which is fine for a supervisor's listing. */
export async function listDeadLetters(store: Store, filter: { reason?: DeadLetterReason; limit: number }): Promise<DeadLetterDoc[]> {
  return store.deadLetters
    .find(filter.reason ? { reason: filter.reason } : {})
    .sort({ receivedAt: -1 })
    .limit(filter.limit)
    .toArray();
}
