/**
 * The call workflow's activities: ring the contact centre once (`offerCall`, in the process whose socket holds the
 * caller's INVITE), refuse the caller, end a leg, and store the call. Each is safe to retry: an attempt already
 * ringing is joined rather than re-sent, a retry in another process answers `lost` and sends nothing, BYE and the
 * stored document are idempotent.
 */
import { Context } from '@temporalio/activity';
import type { B2bua } from '../integrations/sip/sip.b2bua';
import { agentLegCallId } from '../integrations/sip/sip.b2bua';
import { BYE_SEQ } from '../integrations/sip/sip.reinvite';
import type { InboundInvite, OfferCallOutcome, OfferCallRequest, PlaceCallRequest } from '../integrations/sip/sip.call.types';
import { buildCancel, buildInvite } from '../integrations/sip/sip.dialog';
import { hopFor } from '../integrations/sip/sip.dialog';
import { escapeUser } from '../integrations/sip/sip.headers';
import { conversationHeaders, createSipCalls, metaRequestUri, type SipRouting } from '../integrations/sip/sip.routing';
import type { SipDialog } from '../integrations/sip/sip.types';
import { findCallSettings, forgetCall, saveCall } from '../store/calls.store';
import { writeUnlessCallErased } from '../store/erasure-tombstones.store';
import type { Store } from '../store/db';
import type { CallStatus } from '../workflows/call.messages';
import { tellConversationOfCall, type CustomerCallDeps } from '../services/customer-calls';

export interface CallActivityDeps {
  store: Store;
  clock?: () => Date;
  sip?: SipRouting;
  b2bua?: B2bua;
  customerCalls?: CustomerCallDeps;
}

export function createCallActivities({ store, clock = () => new Date(), sip, b2bua, customerCalls }: CallActivityDeps) {
  const calls = createSipCalls(sip ? { sip } : {});
  return {
    /** One attempt to ring an agent; heartbeats while it rings, so a dead worker is noticed in seconds. */
    async offerCall(request: OfferCallRequest): Promise<OfferCallOutcome> {
      if (!sip || !b2bua) return { outcome: 'lost' };
      const beat = setInterval(() => Context.current().heartbeat(), 2_000);
      try {
        return await b2bua.offer({
          callId: request.callId,
          attempt: request.attempt,
          conversationId: request.conversationId,
          requestUri: sip.connectorUri,
          // The chats' headers (queue, skill, conversation, customer), plus the WhatsApp call's own id.
          extraHeaders: [
            ...conversationHeaders({ ...request, ...(request.skill ? { skill: request.skill } : {}) }),
            ['X-WhatsApp-Call-Id', request.callId.replace(/[\x00-\x1f\x7f]/g, ' ')], // eslint-disable-line no-control-regex
          ],
          timeoutMs: sip.inviteTimeoutMs,
          agentHeader: sip.agentHeader,
        });
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * A business-initiated call: the agent's INVITE (held by this process) placed to Meta's SIP server for the
     * customer, From the business number at the SIP domain configured on the number, answering Meta's digest
     * challenge with the number's SIP password (read here, never kept in the workflow's history).
     * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
     */
    async placeCall(request: PlaceCallRequest): Promise<OfferCallOutcome> {
      if (!sip?.metaTarget || !b2bua) return { outcome: 'lost' };
      const requestUri = metaRequestUri(sip.metaTarget, request.customerNumber);
      try {
        hopFor(requestUri, 'udp');
      } catch (err) {
        // A transport this agent does not speak (SIP_META_TRANSPORT): a clear failure rather than a lost call.
        return { outcome: 'rejected', status: 503, reason: (err as Error).message };
      }
      const settings = await findCallSettings(store, request.businessNumberId);
      const user = `+${request.businessNumber}`;
      const domain = settings?.calling.sip?.servers?.[0]?.hostname ?? sip.agent.local.host;
      const beat = setInterval(() => Context.current().heartbeat(), 2_000);
      try {
        return await b2bua.offer({
          callId: request.callId,
          attempt: 1,
          conversationId: request.conversationId,
          requestUri,
          extraHeaders: [],
          timeoutMs: sip.inviteTimeoutMs,
          agentHeader: sip.agentHeader,
          fromUri: `sip:${user}@${domain}`,
          ...(settings?.sipPassword ? { credentials: { username: user, password: settings.sipPassword } } : {}),
        });
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * The caller's INVITE gets a final failure (missed, outside call hours, nobody free, contact centre unreachable),
     * with Retry-After (§21.4.18: 480, 486, §21.5.4: 503), seconds.
     */
    async rejectCall({ invite, status, reason }: { invite: InboundInvite; status: number; reason: string }): Promise<void> {
      const retryAfter = status === 480 || status === 486 ? '60' : status === 503 ? '30' : undefined;
      await b2bua?.reject(invite, status, reason, retryAfter ? [['Retry-After', retryAfter]] : []);
    },

    /**
     * The worker that held the caller's INVITE died while it rang: the caller gets 503 (from the JSON the workflow
     * kept) and each agent leg that may still ring a CANCEL (rebuilt: its identifiers derive from the call).
     */
    async abandonCall({ invite, attempts }: { invite: InboundInvite; attempts: number }): Promise<void> {
      await b2bua?.reject(invite, 503, 'Service Unavailable');
      if (!sip) return;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const hop = hopFor(sip.connectorUri, 'udp');
        const callId = agentLegCallId(invite.callId, attempt);
        const local = sip.agent.local;
        const original = buildInvite({ requestUri: sip.connectorUri, callId, fromUri: `sip:${escapeUser(invite.fromUser)}@${local.host}`, transport: hop.transport, local, extraHeaders: [] });
        await sip.agent.send(buildCancel(original), hop).catch(() => undefined);
      }
    },

    /**
     * BYE on one leg; done on any answer but 5xx (481: already gone). Its CSeq is above any re-INVITE the process
     * that answered may have relayed in the dialog (§12.2.1.1: CSeq grows within a dialog).
     */
    async hangUpLeg(dialog: SipDialog): Promise<void> {
      await calls.hangUp({ ...dialog, localSeq: Math.max(dialog.localSeq, BYE_SEQ - 1) });
    },

    /** Not for a call whose customer was erased meanwhile (a ringing call ends after): its record would name them again. */
    async recordCall(status: CallStatus): Promise<void> {
      await writeUnlessCallErased(store, status.callId, () => saveCall(store, status, clock()), () => forgetCall(store, status.callId));
    },

    /**
     * The customer answered the business's call: their conversation's window opens or refreshes from `answeredAt`
     * (Meta's Calling API pricing page: "When a WhatsApp user accepts your call"). Idempotent: the conversation takes
     * each call id once.
     */
    async customerAnswered(call: { businessNumberId: string; customerNumber: string; callId: string; answeredAt: number }): Promise<void> {
      if (!customerCalls) return;
      await tellConversationOfCall(customerCalls, { businessNumberId: call.businessNumberId, caller: { waId: call.customerNumber }, callId: call.callId, calledAt: call.answeredAt, receivedAt: clock() });
    },
  };
}

export type CallActivities = ReturnType<typeof createCallActivities>;
