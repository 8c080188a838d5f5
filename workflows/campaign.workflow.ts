import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities, RecipientOutcome } from '../activities/campaign.activities';
import {
  campaignProgressQuery,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
  type CampaignHold,
  type CampaignProgress,
  type CampaignState,
  type CampaignWorkflowInput,
} from './campaign.messages';

const recipients = proxyActivities<Pick<CampaignActivities, 'sendToRecipient'>>({
  // Its Temporal call gives up after 10 s; a worker that died mid-call is noticed soon after.
  startToCloseTimeout: '20 seconds',
  // Temporal or the store unavailable: keep trying, the campaign waits rather than skipping anyone.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const store = proxyLocalActivities<Pick<CampaignActivities, 'recordCampaignProgress'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

const DEFAULT_MAX_HISTORY_EVENTS = 10_000;
const TICK_MS = 1_000;

/**
 * Sends one approved template to a list of customers, each through that customer's conversation workflow (which
 * owns the window rules, the outbox and the thread). The list stays in MongoDB; the workflow holds only its
 * position and counts, handing over `ratePerSecond` recipients per second in list order, and continues as new as
 * its history grows. Pause, resume and cancel are Updates that answer once in-flight hand-overs have finished.
 */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignProgress> {
  const carried = input.carried;
  let state: CampaignState = carried?.state ?? 'running';
  /** The next recipient never tried, and those tried but deferred for the tier (tried again first). */
  let cursor = carried?.cursor ?? 0;
  let deferred: number[] = [...(carried?.deferred ?? [])];
  const counts = { queued: carried?.counts.queued ?? 0, refused: carried?.counts.refused ?? 0 };
  const refusals: Record<string, number> = { ...carried?.refusals };
  let resumesAt: number | null = null;
  let pausedFor: CampaignHold | null = carried?.pausedFor ?? null;
  let inFlight = 0;
  let dirty = true;

  // Handlers change the state between awaits: read it through `is`, which the compiler does not narrow.
  const is = (...states: CampaignState[]) => states.includes(state);
  const isFinished = () => is('completed', 'cancelled');
  const progress = (): CampaignProgress => {
    const processed = counts.queued + counts.refused;
    const left = input.total - processed;
    return {
      campaignId: input.campaignId,
      businessNumberId: input.businessNumberId,
      template: input.template,
      state,
      total: input.total,
      processed,
      counts: { pending: state === 'cancelled' ? 0 : left, queued: counts.queued, refused: counts.refused, cancelled: state === 'cancelled' ? left : 0 },
      refusals: { ...refusals },
      ratePerSecond: input.ratePerSecond,
      whenTierUsedUp: input.whenTierUsedUp,
      resumesAt: resumesAt === null ? null : new Date(resumesAt).toISOString(),
      pausedFor,
    };
  };
  const change = (next: CampaignState) => {
    state = next;
    resumesAt = null;
    pausedFor = null;
    dirty = true;
  };
  const refuseIfFinished = () => {
    if (isFinished()) throw ApplicationFailure.create({ type: 'campaign_finished', message: `the campaign is ${state}`, nonRetryable: true });
  };

  setHandler(campaignProgressQuery, progress);
  setHandler(
    pauseCampaignUpdate,
    async () => {
      if (is('running', 'waitingForTier')) change('paused');
      await condition(() => inFlight === 0);
      return progress();
    },
    { validator: refuseIfFinished },
  );
  setHandler(
    resumeCampaignUpdate,
    () => {
      if (is('paused')) change('running');
      return progress();
    },
    { validator: refuseIfFinished },
  );
  setHandler(
    cancelCampaignUpdate,
    async () => {
      if (!isFinished()) change('cancelled');
      await condition(() => inFlight === 0);
      return progress();
    },
    {
      validator: () => {
        if (is('completed')) refuseIfFinished();
      },
    },
  );

  const maxHistoryEvents = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents;

  while (cursor < input.total || deferred.length > 0) {
    if (dirty) await record();
    if (is('cancelled')) break;
    if (is('paused')) {
      await condition(() => dirty);
      continue;
    }
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      if (is('running', 'paused')) {
        await record();
        const carry = { state: is('paused') ? ('paused' as const) : ('running' as const), cursor, deferred, counts, refusals, ...(pausedFor ? { pausedFor } : {}) };
        await continueAsNew<typeof campaignWorkflow>({ ...input, carried: carry });
      }
      continue;
    }

    const tickStartedAt = Date.now();
    const batch = deferred.splice(0, input.ratePerSecond);
    while (batch.length < input.ratePerSecond && cursor < input.total) batch.push(cursor++);
    inFlight = batch.length;
    const outcomes = await Promise.all(batch.map((index) => recipients.sendToRecipient({ ...request(), index })));
    inFlight = 0;
    const deferredUntil = tally(batch, outcomes);
    dirty = true;

    const held = outcomes.find((o) => o.outcome === 'held');
    // Only an account-health hold answers `held` (issue 20); histories from before it never reach this branch.
    if (held?.outcome === 'held' && is('running', 'waitingForTier') && patched('campaign-health-hold')) {
      change('paused');
      pausedFor = held.hold;
      continue;
    }

    if (deferredUntil !== undefined && is('running')) {
      // The tier is used up: sleep until its next unit frees, then try the same recipient again.
      change('waitingForTier');
      resumesAt = deferredUntil;
      await record();
      await condition(() => !is('waitingForTier'), Math.max(deferredUntil - Date.now(), 1));
      if (is('waitingForTier')) change('running');
      continue;
    }
    const rest = tickStartedAt + TICK_MS - Date.now();
    if (rest > 0) await sleep(rest);
  }

  if (!is('cancelled')) change('completed');
  await record();
  await condition(allHandlersFinished);
  return progress();

  function request() {
    const { campaignId, businessNumberId, template, whenTierUsedUp } = input;
    return { campaignId, businessNumberId, template, whenTierUsedUp };
  }

  /** Counts a batch's outcomes; recipients deferred for the tier go back to the front. Answers the earliest retry. */
  function tally(batch: number[], outcomes: RecipientOutcome[]): number | undefined {
    let retryAt: number | undefined;
    const again: number[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.outcome === 'deferred') {
        again.push(batch[i]!);
        retryAt = Math.min(retryAt ?? outcome.retryAt, outcome.retryAt);
      } else if (outcome.outcome === 'held') {
        // Not tried: the recipient goes back to the front, sent once a supervisor resumes the campaign.
        again.push(batch[i]!);
      } else if (outcome.outcome === 'queued') {
        counts.queued += 1;
      } else {
        counts.refused += 1;
        refusals[outcome.code] = (refusals[outcome.code] ?? 0) + 1;
      }
    });
    deferred = [...again, ...deferred];
    return retryAt;
  }

  async function record(): Promise<void> {
    dirty = false;
    await store.recordCampaignProgress(progress());
  }
}
