/**
 * The call workflows' activities (user- and business-initiated alike), with the options both need. Shared so the two
 * cannot drift: the timeouts below are what makes a lost worker show as a failed call rather than a second INVITE.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { CallActivities } from '../activities/call.activities';

/**
 * The activities that need the INVITE's live transaction, on the queue of the process holding it. An attempt rings
 * at most SIP_INVITE_TIMEOUT_MS plus the CANCEL's grace; a dead worker shows in the heartbeat, or as nobody taking
 * the task (20 s schedule-to-start). A retry on the same process joins the attempt already running; elsewhere it
 * answers `lost`, never a second INVITE.
 */
export const callSipActivities = (taskQueue: string | undefined) =>
  proxyActivities<CallActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '10 seconds',
    ...(taskQueue ? { taskQueue, scheduleToStartTimeout: '20 seconds' } : {}),
    retry: { initialInterval: '1 second', maximumAttempts: 3 },
  });

/** Storing the call's state (the `calls` collection): retried until the store answers. */
export const callStore = proxyActivities<CallActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Ending a leg (BYE, CANCEL, a final answer rebuilt from the kept INVITE): any worker can send them. */
export const callHangUps = proxyActivities<CallActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** Whole seconds between two epoch-ms instants, never negative. */
export const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));
