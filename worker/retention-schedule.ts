import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { RetentionPolicy } from '../activities/retention.activities';

/** The one purge Schedule of a namespace (README "Retention"); any worker may create or update it. */
export const RETENTION_SCHEDULE_ID = 'retention-purge';

export interface RetentionScheduleOptions {
  taskQueue: string;
  policy: RetentionPolicy;
  /** RETENTION_PURGE_EVERY_MS. */
  everyMs: number;
  /** Another id than {@link RETENTION_SCHEDULE_ID} (tests, several connectors in one namespace). */
  scheduleId?: string;
}

/**
 * Makes sure the Temporal Schedule that starts `retentionPurgeWorkflow` every `everyMs` exists and carries this
 * worker's policy (https://docs.temporal.io/schedule). Created once; a worker started with other settings updates
 * it. A run still going when the next is due is skipped (SKIP overlap), so purges never race each other.
 */
export async function ensureRetentionSchedule(temporal: Client, options: RetentionScheduleOptions): Promise<void> {
  const scheduleId = options.scheduleId ?? RETENTION_SCHEDULE_ID;
  const wanted = {
    spec: { intervals: [{ every: options.everyMs }] },
    action: { type: 'startWorkflow' as const, workflowType: 'retentionPurgeWorkflow', taskQueue: options.taskQueue, args: [options.policy] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: options.everyMs },
  } satisfies Omit<ScheduleOptions, 'scheduleId'>;
  try {
    await temporal.schedule.create({ scheduleId, ...wanted });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await temporal.schedule.getHandle(scheduleId).update((current) => ({ ...current, ...wanted }));
  }
}

/**
 * Sets the namespace's retention of closed workflow histories to `days` (UpdateNamespace): the histories carry the
 * same messages, encrypted, so they should not outlive the store's copy. `npm start` does it on its own dev server;
 * in production the operator does (`temporal operator namespace update --retention <days>d <namespace>`).
 */
export async function matchNamespaceRetention(temporal: Client, days: number): Promise<void> {
  await temporal.workflowService.updateNamespace({
    namespace: temporal.options.namespace,
    config: { workflowExecutionRetentionTtl: msToTs(days * 24 * 60 * 60 * 1000) },
  });
}
