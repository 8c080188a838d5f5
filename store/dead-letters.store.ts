import { createHash } from 'node:crypto';
import { isDuplicateKey, type Store } from './db';

/**
 * Why a part of a webhook was kept aside instead of processed. A closed list: supervisors filter on it and a replay
 * tool picks what it can now handle by it.
 */
export const deadLetterReasons = [
  /** A `messages` change whose value is not Meta's shape (no `metadata.phone_number_id`, …). */
  'change_unreadable',
  /** A message that is not Meta's message shape (no id, a timestamp that is not unix seconds, …). */
  'message_unreadable',
  /** Likewise a delivery status. */
  'status_unreadable',
  /** A template status or category event without a template id or status. */
  'template_event_unreadable',
  /** A message naming no customer: no `from`/`from_user_id`, no matching contact with `wa_id`/`user_id`. */
  'no_customer',
  /** Temporal refused it for good (an id or payload past its limits), while answering. */
  'refused_by_temporal',
  /** The store refused it for good (a document it cannot hold), while answering. */
  'refused_by_store',
  /** Anything else that failed while MongoDB and Temporal both answered. */
  'unexpected_error',
] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];

/** A part of a webhook the connector could not use, kept as it arrived so a later release can replay it. */
export interface DeadLetterDoc {
  /** sha256 of reason and raw part: a redelivery of the same body keeps one letter. */
  _id: string;
  reason: DeadLetterReason;
  /** What went wrong, for people (a schema issue, an error message). */
  detail: string;
  /** The webhook change field it came in (`messages`, `message_template_status_update`, …). */
  field: string;
  /** The part itself (a message, a status, a change value), JSON as received. */
  raw: string;
  /** What a replay needs beside it: the change's `metadata` and `contacts`, JSON; absent for a whole change. */
  context?: string;
  businessNumberId?: string;
  wamid?: string;
  receivedAt: Date;
}

export type DeadLetter = Omit<DeadLetterDoc, '_id'>;

/** Keeps a dead letter; one insert keyed on its content, so redeliveries of the same part add nothing. */
export async function recordDeadLetter(store: Store, letter: DeadLetter): Promise<void> {
  const _id = createHash('sha256').update(`${letter.reason}\n${letter.raw}`).digest('hex');
  try {
    await store.deadLetters.insertOne({ _id, ...letter });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
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
