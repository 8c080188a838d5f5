/**
 * One business-initiated WhatsApp call: an agent dialled a customer from the contact centre, the connector checked
 * the customer's call permission and Meta's limits (services/business-calls.service.ts) and placed the call to Meta's
 * SIP server with the number's credentials (sip.b2bua.ts). This workflow keeps the call from there: one INVITE to
 * Meta (never re-sent: a lost worker fails the call), the answer relayed, either side's BYE ending the other leg,
 * and every step stored (`direction: business_initiated`, counted by the calls' KPIs).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/
 */
import { ActivityFailure, condition, patched } from '@temporalio/workflow';
import { callHangUps as hangUps, callSipActivities as sipFor, callStore as store, seconds } from './call.proxies';
import type { OfferCallOutcome } from '../integrations/sip/sip.call.types';
import { finishCall, followCall, refuseInvite } from './call.lifecycle';
import type { BusinessCallWorkflowInput, CallCause, CallPhase, CallStatus } from './call.messages';

export async function businessCallWorkflow(input: BusinessCallWorkflowInput): Promise<CallStatus> {
  const status: CallStatus = {
    callId: input.invite.callId,
    conversationId: input.conversationId,
    businessNumberId: input.businessNumberId,
    customerNumber: input.customerNumber,
    direction: 'business_initiated',
    phase: 'ringing',
    offeredAt: input.offeredAt,
    attempts: 1,
    queue: '',
    ...(input.agentId ? { agentId: input.agentId } : {}),
  };
  const signals = followCall(status);
  const finish = (phase: CallPhase, cause: CallCause) => finishCall(status, phase, cause);
  const sip = sipFor(input.sipTaskQueue);
  /** The agent's INVITE gets Meta's final failure (or 503), on its transaction where it is still held. */
  const refuse = (code: number, reason: string) => refuseInvite(input.sipTaskQueue, { invite: input.invite, status: code, reason });

  await store.recordCall(status);
  const outcome: OfferCallOutcome = await sip
    .placeCall({
      callId: input.invite.callId,
      conversationId: input.conversationId,
      businessNumberId: input.businessNumberId,
      businessNumber: input.businessNumber,
      customerNumber: input.customerNumber,
    })
    .catch((err: unknown): OfferCallOutcome => {
      if (err instanceof ActivityFailure) return { outcome: 'lost' };
      throw err;
    });

  switch (outcome.outcome) {
    case 'answered':
      break;
    case 'cancelled':
      return finish('abandoned', 'agent_hung_up');
    case 'lost':
      await refuse(503, 'Service Unavailable');
      return finish('failed', 'connector_restarted');
    case 'busy':
    case 'rejected':
      status.lastFailure = `${outcome.status} ${outcome.reason}`;
      await refuse(outcome.status || 480, outcome.reason || 'Temporarily Unavailable');
      return finish('missed', outcome.outcome === 'busy' ? 'no_answer' : 'rejected');
    case 'unreachable':
      // No connection to Meta's SIP server: as before this outcome existed (a transport error read as 503).
      status.lastFailure = `503 ${outcome.reason}`;
      await refuse(503, outcome.reason);
      return finish('missed', 'no_answer');
    case 'noAnswer':
      if (signals.cancelled) return finish('abandoned', 'agent_hung_up');
      await refuse(480, 'Temporarily Unavailable');
      return finish('missed', 'no_answer');
  }

  Object.assign(status, { phase: 'answered', answeredAt: Date.now() });
  status.waitSeconds = seconds(status.answeredAt! - status.offeredAt);
  await store.recordCall(status);
  // Answering opens or refreshes the customer's service window (Meta's Calling API pricing page). Runs that answered
  // before this step existed replay without it.
  if (patched('business-call-opens-window')) {
    await store.customerAnswered({ businessNumberId: input.businessNumberId, customerNumber: input.customerNumber, callId: input.invite.callId, answeredAt: status.answeredAt! });
  }

  // The B2BUA names legs as it sees them: `customer` is the INVITE it received (here the agent's), `agent` the one
  // it placed (here Meta's, the customer's).
  const over = !(await condition(() => signals.ended !== undefined, input.maxDurationMs));
  const leg = signals.ended?.by;
  if (leg !== 'agent') await hangUps.hangUpLeg(outcome.agentDialog);
  if (leg !== 'customer') await hangUps.hangUpLeg(outcome.customerDialog);
  return finish('ended', over ? 'max_duration' : leg === 'agent' ? 'customer_hung_up' : 'agent_hung_up');
}
