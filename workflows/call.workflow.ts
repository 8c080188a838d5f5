/**
 * One WhatsApp call (user-initiated, over SIP), from Meta's INVITE to the last BYE. The SIP side (sip.b2bua.ts)
 * reports what happens on the wire as signals; this workflow decides: ring the contact centre (one attempt per
 * busy answer, as chats retry), refuse the caller when nobody takes it, end the other leg when one hangs up, and
 * store every step (the calls collection: the conversation's call history and the analysts' KPIs).
 * A worker that dies leaves this state intact: a later BYE reaches any worker and ends both legs from here.
 */
import { ActivityFailure, condition, log, patched } from '@temporalio/workflow';
import { callHangUps as hangUps, callSipActivities as sipFor, callStore as store, seconds } from './call.proxies';
import type { OfferCallOutcome } from '../integrations/sip/sip.call.types';
import { finishCall, followCall, refuseInvite } from './call.lifecycle';
import type { CallCause, CallPhase, CallStatus, CallWorkflowInput } from './call.messages';

/**
 * Patch: each attempt is stored as it starts (the API shows `attempts` while it rings), and a contact centre that
 * cannot be reached fails the call at once (503 to the caller, `failed`/`contact_centre_unreachable`).
 */
export const CALL_ATTEMPTS_STORED_PATCH = 'call-attempts-stored-unreachable-fails';

export async function callWorkflow(input: CallWorkflowInput): Promise<CallStatus> {
  const status: CallStatus = {
    callId: input.invite.callId,
    conversationId: input.conversationId,
    businessNumberId: input.businessNumberId,
    customerNumber: input.customerNumber,
    direction: 'user_initiated',
    phase: 'ringing',
    offeredAt: input.offeredAt,
    attempts: 0,
    queue: input.route.queue,
    ...(input.route.skill ? { skill: input.route.skill } : {}),
  };
  const signals = followCall(status);
  const finish = (phase: CallPhase, cause: CallCause) => finishCall(status, phase, cause);
  const sip = sipFor(input.sipTaskQueue);
  const refuse = async (code: number, reason: string, cause: CallCause, phase: CallPhase = 'missed') => {
    await refuseInvite(input.sipTaskQueue, { invite: input.invite, status: code, reason });
    return finish(phase, cause);
  };

  await store.recordCall(status);
  if (input.outsideCallHours) return refuse(480, 'Temporarily Unavailable', 'outside_call_hours');

  let outcome: OfferCallOutcome = { outcome: 'noAnswer' };
  for (let attempt = 1; attempt <= input.retry.maxAttempts && !signals.cancelled; attempt++) {
    status.attempts = attempt;
    if (patched(CALL_ATTEMPTS_STORED_PATCH)) await store.recordCall(status);
    outcome = await sip
      .offerCall({
        callId: input.invite.callId,
        attempt,
        conversationId: input.conversationId,
        customerNumber: input.customerNumber,
        businessNumber: input.businessNumber,
        businessNumberId: input.businessNumberId,
        queue: input.route.queue,
        ...(input.route.skill ? { skill: input.route.skill } : {}),
      })
      // The process holding the INVITE is gone (no heartbeat, or nobody takes its queue): nothing more is sent.
      .catch((err: unknown): OfferCallOutcome => {
        if (err instanceof ActivityFailure) return { outcome: 'lost' };
        throw err;
      });
    if (outcome.outcome === 'lost') break;
    if (outcome.outcome === 'busy') {
      status.lastFailure = `${outcome.status} ${outcome.reason}`;
      if (attempt < input.retry.maxAttempts) await condition(() => signals.cancelled, outcome.retryAfterSeconds ? outcome.retryAfterSeconds * 1000 : input.retry.initialMs);
      continue;
    }
    break;
  }

  switch (outcome.outcome) {
    case 'answered':
      break;
    case 'cancelled':
      return finish('abandoned', 'customer_hung_up');
    case 'lost':
      // The worker holding the caller's INVITE died while it rang: nothing is re-sent; both legs are told it failed.
      await hangUps.abandonCall({ invite: input.invite, attempts: status.attempts });
      return finish('failed', 'connector_restarted');
    case 'unreachable':
      // Nobody was asked (no connection): the caller hears at once, the call says why (not "no agent available").
      log.warn('contact centre unreachable; the call fails', { callId: status.callId, attempts: status.attempts, reason: outcome.reason });
      status.lastFailure = outcome.reason;
      return signals.cancelled ? finish('abandoned', 'customer_hung_up') : refuse(503, 'Service Unavailable', 'contact_centre_unreachable', 'failed');
    case 'rejected':
      status.lastFailure = `${outcome.status} ${outcome.reason}`;
      return refuse(480, 'Temporarily Unavailable', 'rejected');
    case 'busy':
      return signals.cancelled ? finish('abandoned', 'customer_hung_up') : refuse(486, 'Busy Here', 'no_agent_available');
    case 'noAnswer':
      return signals.cancelled ? finish('abandoned', 'customer_hung_up') : refuse(480, 'Temporarily Unavailable', 'no_answer');
  }

  Object.assign(status, { phase: 'answered', agentId: outcome.agentId, answeredAt: Date.now() });
  status.waitSeconds = seconds(status.answeredAt! - status.offeredAt);
  await store.recordCall(status);

  const over = !(await condition(() => signals.ended !== undefined, input.maxDurationMs));
  const by = signals.ended?.by;
  if (by !== 'agent') await hangUps.hangUpLeg(outcome.agentDialog);
  if (by !== 'customer') await hangUps.hangUpLeg(outcome.customerDialog);
  return finish('ended', over ? 'max_duration' : by === 'customer' ? 'customer_hung_up' : 'agent_hung_up');
}
