import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { PurgeStep, RetentionActivities, RetentionPolicy } from '../activities/retention.activities';

const purge = proxyActivities<RetentionActivities>({
  // A step deletes at most a batch of each kind; FerretDB scans on these filters, so give it room.
  startToCloseTimeout: '5 minutes',
  // The store unavailable: try again; each step is idempotent.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Steps per run before continuing as new, so a long purge keeps a short history. */
const STEPS_PER_RUN = 200;

/** What a purge removed in all, by kind. */
export type PurgeTotals = Omit<PurgeStep, 'more'>;

const none: PurgeTotals = {
  messages: 0,
  deliveryStatuses: 0,
  media: 0,
  conversations: 0,
  deadLetters: 0,
  webhookBatches: 0,
  campaignRecipients: 0,
  campaignPersons: 0,
  calls: 0,
  callEvents: 0,
  callPermissions: 0,
  legacyReplies: 0,
};

/**
 * Deletes what passed its retention (README "Retention"), step by step until nothing expired is left. Started by the
 * `retention-purge` Temporal Schedule (worker/retention-schedule.ts); overlapping runs are skipped by the Schedule.
 */
export async function retentionPurgeWorkflow(policy: RetentionPolicy, carried: PurgeTotals = none): Promise<PurgeTotals> {
  // A run carried over (or a step answered) by a worker older than a kind counts it as 0, not NaN.
  const totals = { ...none, ...carried };
  for (let step = 0; step < STEPS_PER_RUN; step += 1) {
    const { more, ...removed } = await purge.purgeExpiredStep(policy);
    for (const kind of Object.keys(totals) as (keyof PurgeTotals)[]) totals[kind] += removed[kind] ?? 0;
    if (!more) return totals;
  }
  return continueAsNew<typeof retentionPurgeWorkflow>(policy, totals);
}
