import { ServiceError } from '@temporalio/client';
import { MongoError, MongoNetworkError, MongoServerSelectionError } from 'mongodb';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Store } from '../store/db';
import { UnusablePart } from '../services/unusable-part';
import { recordDeadLetter, type DeadLetter, type DeadLetterReason } from '../store/dead-letters.store';

export { UnusablePart };

// gRPC codes that mean Temporal is (momentarily) not there, rather than refusing what it was asked.
const GRPC_OUTAGE = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 10 /* ABORTED */, 14 /* UNAVAILABLE */]);

function grpcCodeOf(err: unknown): number | undefined {
  for (let cause: unknown = err, depth = 0; cause && depth < 4; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Plainly an outage: no need to ask the backends. */
function isOutage(err: unknown): boolean {
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) return true;
  if (err instanceof ServiceError) {
    const code = grpcCodeOf(err);
    return code === undefined || GRPC_OUTAGE.has(code);
  }
  return false;
}

/** Whether MongoDB and Temporal both answer now (a ping each, 2 s at most). */
async function backendsAnswer(store: Store, temporal: Client): Promise<boolean> {
  try {
    await Promise.all([
      store.db.command({ ping: 1 }, { timeoutMS: 2_000 }),
      temporal.connection.withDeadline(Date.now() + 2_000, () => temporal.connection.workflowService.getSystemInfo({})),
    ]);
    return true;
  } catch {
    return false;
  }
}

export interface FailureDeps {
  store: Store;
  temporal: Client;
  logger: Logger;
}

/**
 * Runs the work for one part of a webhook. A failure while MongoDB and Temporal both answer is permanent for this
 * part: it becomes a dead letter and the rest of the POST goes on. An outage throws, and the route answers 503 so the
 * broker delivers the body again. Resolves null when the part was processed, else the reason it was kept aside.
 * `count.deadLetters` (the webhook's answer) goes up by one when the letter is new: a redelivered part that was kept
 * before adds no letter, and counts none.
 */
export async function orDeadLetter(deps: FailureDeps, letter: () => DeadLetter, work: () => Promise<unknown>, count?: { deadLetters: number }): Promise<DeadLetterReason | null> {
  try {
    await work();
    return null;
  } catch (err) {
    const reason = await permanentReason(deps, err);
    if (!reason) throw err;
    const kept = { ...letter(), reason, detail: err instanceof Error ? err.message.slice(0, 2_000) : String(err) };
    deps.logger.warn({ reason, wamid: kept.wamid, field: kept.field }, 'webhook part kept as a dead letter');
    if ((await recordDeadLetter(deps.store, kept)) && count) count.deadLetters += 1;
    return reason;
  }
}

async function permanentReason(deps: FailureDeps, err: unknown): Promise<DeadLetterReason | undefined> {
  if (err instanceof UnusablePart) return err.reason;
  if (isOutage(err) || !(await backendsAnswer(deps.store, deps.temporal))) return undefined;
  if (err instanceof ServiceError) return 'refused_by_temporal';
  if (err instanceof MongoError) return 'refused_by_store';
  return 'unexpected_error';
}

/**
 * A part that is unusable as it stands (its shape): a dead letter at once, without asking the backends. Answers
 * whether the letter is new (false: a redelivery of a part kept before).
 */
export async function keepAside(deps: FailureDeps, letter: DeadLetter): Promise<boolean> {
  deps.logger.warn({ reason: letter.reason, wamid: letter.wamid, field: letter.field }, 'webhook part kept as a dead letter');
  return recordDeadLetter(deps.store, letter);
}
