import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { AppError } from '../lib/errors';
import { checkCustomerNumber, isWrittenAsNumber } from '../lib/phone-numbers';
import type { Store } from '../store/db';
import { auditErasure, eraseSubjectData, findErasureSubject, type ErasedCounts } from '../store/erasure.store';
import { closeConversationUpdate } from '../workflows/conversation.messages';
import type { ErasureClock } from './erasure-clock';

/** What an erasure did, and what it could not do at once (the API answers this). */
export interface ErasureResult {
  erasureId: string;
  at: string;
  conversationsClosed: number;
  erased: ErasedCounts & { temporalRuns: number };
  /** Each kind of data that outlives the request, where it is and until when. */
  notErasedAtOnce: { what: string; where: string; until: string }[];
}

export interface ErasureDeps {
  store: Store;
  temporal: Client;
  /** Records the tombstones and waits until every process checks them, before the deletes. */
  erasureClock: Pick<ErasureClock, 'recordBeforeDeleting'>;
}

/** How long a running conversation may take to close before it is terminated. */
const CLOSE_WAIT_MS = 10_000;
/** How long the answer waits for Temporal to finish deleting the runs (it goes on in the background after). */
const DELETE_WAIT_MS = 2_000;

const bounded = <T>(work: Promise<T>, ms: number) =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())]);

/**
 * Erases one person by any identifier (conversation id, customer key, wa_id, user_id, username): their running
 * conversations close first (terminated if they cannot close within 10 s), every run's history is deleted from
 * Temporal, then their messages, delivery statuses, pictures, projections, campaign entries, registry entries, calls,
 * Meta's call webhooks, call permissions, dead letters naming them and the connector's copies of their blocks (the block at WhatsApp stays: {@link NOT_ERASED_AT_ONCE}). Audited with counts
 * and the caller, never the identifier. Throws `unknown_customer` when nothing names them.
 */
export function createErasureService({ store, temporal, erasureClock }: ErasureDeps) {
  async function closeAndDeleteRuns(conversationId: string): Promise<{ closed: boolean; runs: number }> {
    let closed = false;
    const handle = temporal.workflow.getHandle(conversationId);
    try {
      const running = (await handle.describe()).status.name === 'RUNNING';
      if (running) {
        await bounded(handle.executeUpdate(closeConversationUpdate, { args: [{ sender: { kind: 'system' } }] }), CLOSE_WAIT_MS).catch(() =>
          handle.terminate('erasure: the conversation did not close in time').catch(() => undefined),
        );
        await bounded(handle.result(), CLOSE_WAIT_MS).catch(() => handle.terminate('erasure').catch(() => undefined));
        closed = true;
      }
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    let runs = 0;
    const query = `WorkflowId = '${conversationId.replace(/['\\]/g, '\\$&')}'`;
    for await (const run of temporal.workflow.list({ query })) {
      await temporal.workflowService.deleteWorkflowExecution({ namespace: temporal.options.namespace, workflowExecution: { workflowId: run.workflowId, runId: run.runId } });
      runs += 1;
    }
    // Deletion is asynchronous on the server: give it a moment (the API reads closed runs from Temporal until then).
    for (const deadline = Date.now() + DELETE_WAIT_MS; runs > 0 && Date.now() < deadline; ) {
      const gone = await handle.describe().then(
        () => false,
        (err: unknown) => err instanceof WorkflowNotFoundError,
      );
      if (gone) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return { closed, runs };
  }

  return {
    async erase(identifier: string, by: { keyId: string; role: string; name: string }): Promise<ErasureResult> {
      // A number written without its country code names nobody for sure: a 400 saying so, not a 404 read as "nothing to erase".
      if (isWrittenAsNumber(identifier)) {
        const checked = checkCustomerNumber(identifier);
        if ('refused' in checked) throw new AppError('invalid_request', checked.message);
      }
      const subject = await findErasureSubject(store, identifier);
      let conversationsClosed = 0;
      let temporalRuns = 0;
      for (const conversationId of subject.conversationIds) {
        const { closed, runs } = await closeAndDeleteRuns(conversationId);
        conversationsClosed += closed ? 1 : 0;
        temporalRuns += runs;
      }
      const erased = await eraseSubjectData(store, subject, (ids) => erasureClock.recordBeforeDeleting(ids, new Date()));
      const nothing = temporalRuns === 0 && Object.values(erased).every((n) => n === 0);
      if (nothing) throw new AppError('unknown_customer', 'Nothing stored names this customer (or they were erased already)');
      const erasureId = randomUUID();
      const at = new Date();
      await auditErasure(store, { _id: erasureId, at, by, erased, temporalRunsDeleted: temporalRuns });
      return { erasureId, at: at.toISOString(), conversationsClosed, erased: { ...erased, temporalRuns }, notErasedAtOnce: NOT_ERASED_AT_ONCE };
    },
  };
}

/** Stated in every answer and in the README ("Erasure"). */
export const NOT_ERASED_AT_ONCE: ErasureResult['notErasedAtOnce'] = [
  {
    what: "conversation histories (each run's events, payloads encrypted with TEMPORAL_PAYLOAD_KEYS)",
    where: 'Temporal: deletion is asked for every run listed; the server removes them asynchronously (meanwhile GET /v1/conversations/{id} may still answer the closed status from it), and a run not yet listed by its visibility store stays until the namespace retention ends',
    until: "when the server completes the deletion, at the latest the namespace's retention period; unreadable without the payload key meanwhile",
  },
  { what: 'the customer key in the tier ledger (tier_customers, tier_tickets)', where: 'MongoDB', until: '24 hours after their last template outside the window (it enforces the messaging limit)' },
  {
    what: 'a large webhook still being handed over (inbound_batches), when it carries a message of theirs',
    where: "MongoDB: the body is kept whole, as signed, until every message in it reached its conversation (seconds); it also carries other customers' messages, so it is not cut. A message of theirs in it then arrives as from a new person",
    until: 'the batch is handed over (it is deleted then), at the latest RETENTION_DAYS',
  },
  { what: 'histories analysts exported before now (wa-analyst export)', where: 'their files', until: 'their owners delete them; encrypted payloads stay unreadable without the key' },
  {
    what: "the block on a business number, when they were blocked (their WhatsApp id on the number's blocklist)",
    where:
      "Meta: erasure removes the connector's copy but does not unblock them, so they still cannot write to the number and WhatsApp refuses sends to them (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/); GET /v1/numbers/{id}/blocked-users still lists their WhatsApp id",
    until: 'a supervisor unblocks them (DELETE /v1/numbers/{id}/blocked-users/{waId})',
  },
  { what: 'the broker\u2019s and WhatsApp\u2019s own copies', where: 'Meta', until: "Meta's retention (https://developers.facebook.com/docs/whatsapp/cloud-api/overview#data-privacy-and-security)" },
];

export type ErasureService = ReturnType<typeof createErasureService>;
