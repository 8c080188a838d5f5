/**
 * re-INVITE across a bridged WhatsApp call (RFC 3261 §14; RFC 7092 §3.1 for a B2BUA): a re-INVITE on one leg (hold,
 * a new SDP, a session refresh) is sent on the other with the same body, and its final answer returned, body and
 * all. Only the process that answered the call holds both dialogs in memory; elsewhere (after a restart) the
 * re-INVITE is answered 488, which leaves the session as it was (§14.2).
 */
import type { Logger } from 'pino';
import { buildResponse, contactFor, type SipHop } from './sip.dialog';
import { header, type SipHeaders, type SipRequest, type SipResponse } from './sip.message';
import type { SipAgent } from './sip.client';
import type { Inbound } from './sip.transport';
import type { SipDialog } from './sip.types';

/** A call answered in this process: both legs, and the CSeq of the next request we send on either. */
export interface Bridged {
  customer: SipDialog;
  agent: SipDialog;
  /** Above both legs' first requests; BYE from the workflow uses {@link BYE_SEQ}, above any of these. */
  seq: number;
  okTimer?: NodeJS.Timeout;
}

/** The CSeq of a call leg's BYE: above every re-INVITE this process may have sent in the dialog. */
export const BYE_SEQ = 1_000_000;

export async function relayReinvite(
  request: SipRequest,
  inbound: Inbound,
  bridged: Bridged | undefined,
  ctx: { agent: SipAgent; allow: string; t1Ms: number; logger?: Pick<Logger, 'warn'> },
): Promise<void> {
  const reply = (response: SipResponse) => inbound.reply(response).catch(() => undefined);
  if (!bridged) return reply(buildResponse(request, 488, 'Not Acceptable Here', [], ctx.allow));
  await reply(buildResponse(request, 100, 'Trying', [], ctx.allow));
  const fromCustomer = header(request, 'Call-ID') === bridged.customer.callId;
  const target = fromCustomer ? bridged.agent : bridged.customer;
  bridged.seq += 1;
  const contentType = header(request, 'Content-Type');
  const result = await ctx.agent.reinvite(target, bridged.seq, request.body && contentType ? { contentType, body: request.body } : undefined);
  if (result.kind !== 'final') {
    ctx.logger?.warn({ callId: target.callId, result: result.kind }, 'SIP: relayed re-INVITE unanswered');
    return reply(buildResponse(request, 408, 'Request Timeout', [], ctx.allow));
  }
  const answer = result.response;
  const extra: SipHeaders = [];
  if (answer.status < 300) extra.push(['Contact', `<${contactFor(ctx.agent.local, inbound.source.transport, /^sips:/i.test(request.uri))}>`]);
  const type = header(answer, 'Content-Type');
  if (answer.body && type) extra.push(['Content-Type', type]);
  const response: SipResponse = { ...buildResponse(request, answer.status, answer.reason, extra, ctx.allow), body: answer.body };
  await reply(response);
  if (answer.status >= 300 || inbound.source.transport !== 'udp') return;
  // A 2xx is re-sent until its ACK (§13.3.1.4), which clears bridged.okTimer.
  let interval = ctx.t1Ms;
  const again = () => {
    bridged.okTimer = setTimeout(() => {
      if (interval > 32 * ctx.t1Ms) return;
      void reply(response);
      interval = Math.min(interval * 2, 4_000);
      again();
    }, interval);
    bridged.okTimer.unref();
  };
  again();
}

export type { SipHop };
