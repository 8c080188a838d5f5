/**
 * The back-to-back user agent for WhatsApp calls (RFC 3261 §6 "B2BUA", RFC 7092): Meta's SIP server INVITEs us,
 * we INVITE the contact centre with the same SDP, and relay ringing, the answer (with the agent's SDP), CANCEL and
 * BYE. Media never passes here: it flows between Meta and the contact centre's SBC.
 *
 * What lives where: the caller's pending INVITE transaction (to send 180/200 on it) exists only in the process
 * whose socket received it, in `pending` below; everything else is JSON the call workflow keeps. So an attempt
 * asked of a process that does not hold the INVITE answers `lost` without sending anything (no second INVITE);
 * BYEs are mapped to their call from the Call-ID alone (no memory), so any process relays them.
 * Meta's SIP rules: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { buildResponse, contactFor, conversationIdOf, localTagFor, type SipHop } from './sip.dialog';
import { checkDigest, digestChallenge } from './sip.digest';
import { parseNameAddr, parseUri, tagOf, uriUser } from './sip.headers';
import { header, headerValues, type SipHeaders, type SipRequest, type SipResponse } from './sip.message';
import type { SipAgent } from './sip.client';
import type { Inbound } from './sip.transport';
import type { Admission, CallHooks, CallLegEnded, InboundInvite, OfferCallOutcome, OfferInput } from './sip.call.types';
import { outcomeOf } from './sip.routing';
import { relayReinvite, type Bridged } from './sip.reinvite';
import { agentLegCallId, answerStray, callOfAgentLeg, customerDialogOf, viaHop } from './sip.call-legs';

export { agentLegCallId, callOfAgentLeg, callWorkflowId, customerDialogOf } from './sip.call-legs';
export type { Admission, CallHooks, OfferInput } from './sip.call.types';

export const CALL_ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS';

export interface B2buaOptions {
  hooks: CallHooks;
  realm: string;
  /** The contact centre's connector URI: the Request-URI of an ACK this process owes for another's INVITE. */
  connectorUri?: string;
  t1Ms?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
  clock?: () => number;
}

interface Pending {
  invite: InboundInvite;
  reply(message: SipResponse): Promise<void>;
  last?: SipResponse;
  final: boolean;
  cancelled: boolean;
  abort: AbortController;
  attempts: Map<number, Promise<OfferCallOutcome>>;
  okTimer?: NodeJS.Timeout;
}

const userOf = (nameAddr: string | undefined) => {
  try {
    return uriUser(parseUri(parseNameAddr(nameAddr ?? '').uri)) ?? '';
  } catch {
    return '';
  }
};

export function createB2bua(options: B2buaOptions) {
  const t1 = options.t1Ms ?? 500;
  const now = options.clock ?? (() => Date.now());
  const secret = randomBytes(16).toString('hex');
  const pending = new Map<string, Pending>();
  // Calls answered here, by both legs' Call-IDs: for relaying re-INVITEs, and to tell a retransmitted answer from a stray.
  const bridged = new Map<string, Bridged>();
  let agent: SipAgent | undefined;

  const respond = (p: Pending, status: number, reason: string, extra: SipHeaders = [], body = '') => {
    const response: SipResponse = { ...buildResponse(p.invite.request, status, reason, extra, CALL_ALLOW), body };
    p.last = response;
    if (status >= 200) p.final = true;
    return p.reply(response).catch((err: Error) => options.logger?.warn({ err, callId: p.invite.callId }, 'SIP: response to the caller not sent'));
  };
  const forget = (callId: string) => setTimeout(() => pending.delete(callId), 64 * t1).unref();

  /** 2xx to the INVITE, re-sent over UDP until the ACK (§13.3.1.4). */
  function answer(p: Pending, sdp: SipResponse) {
    const contact = `<${contactFor(agent!.local, p.invite.source.transport, /^sips:/i.test(p.invite.request.uri))}>`;
    const type = header(sdp, 'Content-Type') ?? 'application/sdp';
    const extra: SipHeaders = [['Contact', contact], ...headerValues(p.invite.request, 'Record-Route').map((r): [string, string] => ['Record-Route', r])];
    if (sdp.body) extra.push(['Content-Type', type]);
    void respond(p, 200, 'OK', extra, sdp.body);
    if (p.invite.source.transport !== 'udp') return forget(p.invite.callId);
    let interval = t1;
    const again = () => {
      p.okTimer = setTimeout(() => {
        if (interval > 32 * t1) return forget(p.invite.callId);
        void p.reply(p.last!).catch(() => undefined);
        interval = Math.min(interval * 2, 4_000);
        again();
      }, interval);
      p.okTimer.unref();
    };
    again();
  }

  async function onInvite(request: SipRequest, inbound: Inbound): Promise<void> {
    const callId = header(request, 'Call-ID') ?? '';
    const invite: InboundInvite = { callId, request, source: inbound.source, fromUser: userOf(header(request, 'From')), toUser: userOf(header(request, 'To')) };
    const reply = (status: number, reason: string, extra: SipHeaders = []) =>
      inbound.reply(buildResponse(request, status, reason, extra, CALL_ALLOW)).catch(() => undefined);
    const admission = await options.hooks.admit(invite).catch((err: unknown) => {
      options.logger?.warn({ err, callId }, 'SIP: could not look the call up; 503');
      return { kind: 'refuse', status: 503, reason: 'Service Unavailable' } as Admission;
    });
    if (admission.kind === 'refuse') return reply(admission.status, admission.reason, admission.headers);
    if (admission.password !== undefined) {
      const verdict = checkDigest({ authorization: header(request, 'Authorization'), method: 'INVITE', password: admission.password, realm: options.realm, secret, at: now() });
      if (verdict !== 'ok') {
        if (verdict === 'wrong') options.logger?.warn({ callId, source: inbound.source }, 'SIP: INVITE with wrong digest credentials');
        return reply(401, 'Unauthorized', [['WWW-Authenticate', digestChallenge(options.realm, secret, now(), verdict === 'stale')]]);
      }
    }
    if (pending.has(callId)) return; // a retransmission that crossed the look-up
    const p: Pending = { invite, reply: inbound.reply, final: false, cancelled: false, abort: new AbortController(), attempts: new Map() };
    pending.set(callId, p);
    await respond(p, 100, 'Trying');
    try {
      await options.hooks.offered(invite);
    } catch (err) {
      options.logger?.warn({ err, callId }, 'SIP: call workflow not started; 503');
      await respond(p, 503, 'Service Unavailable', [['Retry-After', '5']]);
      forget(callId);
    }
  }

  async function onCancel(request: SipRequest, inbound: Inbound, p: Pending): Promise<void> {
    await inbound.reply(buildResponse(request, 200, 'OK', [], CALL_ALLOW)).catch(() => undefined);
    if (p.final) return;
    p.cancelled = true;
    p.abort.abort();
    await respond(p, 487, 'Request Terminated');
    forget(p.invite.callId);
    await options.hooks.cancelled(p.invite.callId).catch((err: unknown) => options.logger?.warn({ err }, 'SIP: CANCEL not told to the call workflow'));
  }

  async function onBye(request: SipRequest, inbound: Inbound): Promise<boolean> {
    const callId = header(request, 'Call-ID') ?? '';
    const legOf = callOfAgentLeg(callId);
    if (!legOf && conversationIdOf(callId)) return false; // a chat's call: sip.client.ts answers it
    const reply = (status: number, reason: string, extra: SipHeaders = []) =>
      inbound.reply(buildResponse(request, status, reason, extra, CALL_ALLOW)).catch(() => undefined);
    if (tagOf(header(request, 'To')) !== localTagFor(callId)) return void (await reply(481, 'Call/Transaction Does Not Exist')), true;
    const duration = Number.parseInt(header(request, 'x-wa-meta-call-duration') ?? '', 10);
    const event: CallLegEnded = legOf
      ? { callId: legOf, by: 'agent' }
      : { callId, by: 'customer', ...(Number.isFinite(duration) ? { reportedDurationSeconds: duration } : {}) };
    try {
      const known = await options.hooks.legEnded(event);
      await reply(known ? 200 : 481, known ? 'OK' : 'Call/Transaction Does Not Exist');
      const legs = bridged.get(callId);
      if (legs) {
        clearTimeout(legs.okTimer);
        bridged.delete(legs.customer.callId);
        bridged.delete(legs.agent.callId);
      }
    } catch (err) {
      options.logger?.warn({ err, callId }, 'SIP: BYE not delivered to the call workflow; asking to retry');
      await reply(500, 'Server Internal Error', [['Retry-After', '1']]);
    }
    return true;
  }

  /** sip.client.ts's `onServerRequest`: the requests of WhatsApp calls. */
  async function onServerRequest(request: SipRequest, inbound: Inbound): Promise<boolean> {
    const callId = header(request, 'Call-ID') ?? '';
    const p = pending.get(callId);
    switch (request.method) {
      case 'INVITE':
        if (conversationIdOf(callId)) return false;
        if (tagOf(header(request, 'To')) && agent) {
          await relayReinvite(request, inbound, bridged.get(callId), { agent, allow: CALL_ALLOW, t1Ms: t1, ...(options.logger ? { logger: options.logger } : {}) });
          return true;
        }
        if (callOfAgentLeg(callId)) return false;
        if (p) {
          if (p.last) await p.reply(p.last).catch(() => undefined); // a retransmission: the last answer again
          return true;
        }
        await onInvite(request, inbound);
        return true;
      case 'ACK':
        if (p) clearTimeout(p.okTimer);
        if (bridged.has(callId)) return void clearTimeout(bridged.get(callId)!.okTimer), true;
        return p !== undefined || (!conversationIdOf(callId) && !callOfAgentLeg(callId));
      case 'CANCEL':
        if (!p) return false;
        await onCancel(request, inbound, p);
        return true;
      case 'BYE':
        return onBye(request, inbound);
      default:
        return false;
    }
  }

  /** One attempt to ring the contact centre (the call workflow's `offerCall` activity). */
  async function offer(input: OfferInput): Promise<OfferCallOutcome> {
    const p = pending.get(input.callId);
    if (!p || !agent) return { outcome: 'lost' };
    if (p.cancelled) return { outcome: 'cancelled' };
    let running = p.attempts.get(input.attempt);
    if (!running) {
      running = ring(p, input);
      p.attempts.set(input.attempt, running);
    }
    return running;
  }

  async function ring(p: Pending, input: OfferInput): Promise<OfferCallOutcome> {
    const sdp = p.invite.request.body;
    const result = await agent!.invite({
      requestUri: input.requestUri,
      conversationId: input.conversationId,
      callId: agentLegCallId(input.callId, input.attempt),
      fromUser: p.invite.fromUser,
      extraHeaders: input.extraHeaders,
      timeoutMs: input.timeoutMs,
      signal: p.abort.signal,
      ...(input.fromUri ? { fromUri: input.fromUri } : {}),
      ...(input.credentials ? { credentials: input.credentials } : {}),
      ...(sdp ? { content: { contentType: header(p.invite.request, 'Content-Type') ?? 'application/sdp', body: sdp } } : {}),
      onProvisional: (r) => {
        if (p.final || p.cancelled) return;
        // 183 with the agent side's early media SDP passes through; anything else rings.
        const early = r.status === 183 && r.body !== '';
        void respond(p, early ? 183 : 180, early ? 'Session Progress' : 'Ringing', early ? [['Content-Type', header(r, 'Content-Type') ?? 'application/sdp']] : [], early ? r.body : '');
      },
    });
    if (result.kind === 'answered') {
      if (p.cancelled || p.final) {
        // The caller left as the agent picked up: the agent's leg ends at once.
        await agent!.bye(result.dialog);
        return { outcome: 'cancelled' };
      }
      answer(p, result.response);
      const legs: Bridged = { customer: customerDialogOf(p.invite, input.conversationId), agent: result.dialog, seq: 10 };
      bridged.set(legs.customer.callId, legs).set(legs.agent.callId, legs);
      const routed = outcomeOf(result, input.agentHeader);
      const agentId = routed.outcome === 'answered' ? routed.agentId : '';
      return { outcome: 'answered', agentId, agentDialog: result.dialog, customerDialog: legs.customer };
    }
    if (p.cancelled) return { outcome: 'cancelled' };
    if (result.kind === 'transportError') {
      // No connection (nothing listening, reset, no route): nobody was asked, so not "busy"; no retry for minutes.
      options.logger?.warn({ err: result.error, callId: input.callId, attempt: input.attempt, requestUri: input.requestUri }, 'SIP: contact centre unreachable; the call fails');
      return { outcome: 'unreachable', reason: `transport error: ${result.error.message}` };
    }
    const routed = outcomeOf(result, input.agentHeader);
    return routed.outcome === 'answered' ? { outcome: 'noAnswer' } : routed;
  }

  /**
   * The caller's INVITE gets a final failure (missed, outside call hours, nobody free). From the process that holds
   * it, on its transaction; otherwise rebuilt from the JSON the workflow kept and sent to where it came from.
   */
  async function reject(invite: InboundInvite, status: number, reason: string, extra: SipHeaders = []): Promise<void> {
    const p = pending.get(invite.callId);
    if (p) {
      if (!p.final) await respond(p, status, reason, extra);
      forget(invite.callId);
      return;
    }
    await agent?.send(buildResponse(invite.request, status, reason, extra, CALL_ALLOW), viaHop(invite)).catch(() => undefined);
  }

  return {
    onStrayResponse: (response: SipResponse, source: SipHop) =>
      bridged.has(header(response, 'Call-ID') ?? '') ? Promise.resolve(true) : answerStray(response, source, agent, options.connectorUri, options.logger),
    attach(sipAgent: SipAgent) {
      agent = sipAgent;
    },
    onServerRequest,
    offer,
    reject,
    close() {
      for (const p of pending.values()) clearTimeout(p.okTimer);
      for (const legs of bridged.values()) clearTimeout(legs.okTimer);
      bridged.clear();
      pending.clear();
    },
  };
}

export type B2bua = ReturnType<typeof createB2bua>;
