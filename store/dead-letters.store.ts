import { createHash } from 'node:crypto';
import { isDuplicateKey, type Store } from './db';
import { deadLetterReasons } from './documents';
import type { DeadLetterReason, DeadLetterDoc } from './documents';

// Document types live in store/documents.ts (so store/db.ts imports no store file); kept importable from here.
export { deadLetterReasons, type DeadLetterReason, type DeadLetterDoc };

export type DeadLetter = Omit<DeadLetterDoc, '_id'>;

/**
 * Keeps a dead letter; one insert keyed on its content, so redeliveries of the same part add nothing. Answers whether
 * this letter is new (false: the same part was kept before), so the webhook's answer counts only letters it added.
 */
export async function recordDeadLetter(store: Store, letter: DeadLetter): Promise<boolean> {
  const _id = createHash('sha256').update(`${letter.reason}\n${letter.raw}`).digest('hex');
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
