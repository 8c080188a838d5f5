/**
 * What both call workflows (user- and business-initiated) do the same way around their own decisions: follow the
 * call's signals, answer its status query, refuse the INVITE on its own transaction, and store how it ended.
 * Shared so the two cannot drift; the commands each issues are those the workflows issued before.
 */
import { ActivityFailure, setHandler } from '@temporalio/workflow';
import { callHangUps, callSipActivities, callStore, seconds } from './call.proxies';
import type { CallActivities } from '../activities/call.activities';
import type { CallLegEnded } from '../integrations/sip/sip.call.types';
import { callCancelledSignal, callLegEndedSignal, callStatusQuery, type CallCause, type CallPhase, type CallStatus } from './call.messages';

/** The call as its signals left it: the caller (or agent) cancelled the INVITE; the first leg that ended. */
export interface CallSignals {
  cancelled: boolean;
  ended?: CallLegEnded;
}

/** Installs the call's signal and query handlers on `status` (answered as it changes); returns what the signals say. */
export function followCall(status: CallStatus): CallSignals {
  const signals: CallSignals = { cancelled: false };
  setHandler(callCancelledSignal, () => void (signals.cancelled = true));
  setHandler(callLegEndedSignal, (event) => void (signals.ended ??= event));
  setHandler(callStatusQuery, () => status);
  return signals;
}

/** Ends `status` in `phase` for `cause` now (talk or wait seconds from its timestamps), stores it and returns it. */
export async function finishCall(status: CallStatus, phase: CallPhase, cause: CallCause): Promise<CallStatus> {
  const at = Date.now();
  Object.assign(status, { phase, cause, endedAt: at });
  if (status.answeredAt !== undefined) status.talkSeconds = seconds(at - status.answeredAt);
  else status.waitSeconds = seconds(at - status.offeredAt);
  await callStore.recordCall(status);
  return status;
}

/**
 * Answers the held INVITE with a final failure on the transaction where it came (its connection, for TCP), through
 * `sipTaskQueue`; rebuilt by any worker from the kept INVITE if that process is gone.
 */
export async function refuseInvite(sipTaskQueue: string | undefined, refusal: Parameters<CallActivities['rejectCall']>[0]): Promise<void> {
  await callSipActivities(sipTaskQueue)
    .rejectCall(refusal)
    .catch(async (err: unknown) => {
      if (!(err instanceof ActivityFailure)) throw err;
      await callHangUps.rejectCall(refusal);
    });
}
