/**
 * The user agent's small server side: what it answers to a request no transaction of ours sent, once the WhatsApp
 * calls' hook (`onServerRequest`, sip.b2bua.ts) has passed on it. The contact centre's BYE and in-dialog MESSAGE in
 * a chat's call (RFC 3261 §15.1.2, RFC 3428), OPTIONS pings; anything else is refused. No server transaction is
 * kept: a retransmitted request is handled again, which the hooks' idempotency keys (Call-ID, CSeq) make harmless.
 */
import { buildResponse, conversationIdOf, localTagFor } from './sip.dialog';
import { parseCSeq, tagOf } from './sip.headers';
import { header, type SipHeaders, type SipRequest } from './sip.message';
import type { Inbound } from './sip.transport';
import type { SipAgentOptions } from './sip.client.types';

export type RequestHooks = Pick<SipAgentOptions, 'onServerRequest' | 'onRemoteBye' | 'onAgentMessage' | 'logger'>;

/**
 * Answers one request on the transaction it came in on. `allow` is our Allow header (with MESSAGE when page mode is
 * on). A dialog is ours only if the Call-ID decodes to a conversation and the To tag is the one derived for it
 * (sip.dialog.ts): no memory needed, so any process answers. A hook that throws gets 500 with Retry-After: 1.
 */
export async function answerRequest(request: SipRequest, inbound: Inbound, hooks: RequestHooks, allow: string): Promise<void> {
  const { logger } = hooks;
  const reply = (status: number, reason: string, extra?: SipHeaders) =>
    inbound.reply(buildResponse(request, status, reason, extra, allow)).catch(() => undefined);
  const callId = header(request, 'Call-ID') ?? '';
  if (hooks.onServerRequest && (await hooks.onServerRequest(request, inbound))) return;
  switch (request.method) {
    case 'ACK':
      return;
    case 'OPTIONS':
      return reply(200, 'OK');
    case 'BYE': {
      const conversationId = conversationIdOf(callId);
      if (!conversationId || tagOf(header(request, 'To')) !== localTagFor(callId)) return reply(481, 'Call/Transaction Does Not Exist');
      try {
        await hooks.onRemoteBye?.({ callId, conversationId });
      } catch (err) {
        logger?.warn({ err, callId, conversationId }, 'SIP: remote BYE not delivered; asking the far end to retry');
        return reply(500, 'Server Internal Error', [['Retry-After', '1']]);
      }
      return reply(200, 'OK');
    }
    case 'MESSAGE': {
      const conversationId = conversationIdOf(callId);
      if (!hooks.onAgentMessage) return reply(405, 'Method Not Allowed');
      if (!conversationId || tagOf(header(request, 'To')) !== localTagFor(callId)) return reply(481, 'Call/Transaction Does Not Exist');
      const cseq = parseCSeq(header(request, 'CSeq') ?? '').seq;
      const contentType = header(request, 'Content-Type') ?? 'text/plain';
      try {
        const answer = await hooks.onAgentMessage({ callId, conversationId, cseq, contentType, body: request.body });
        await reply(answer.status, answer.reason, answer.headers);
        await answer.afterwards?.().catch((err: unknown) => logger?.warn({ err, callId, conversationId }, 'SIP: notice for the agent not queued'));
        return;
      } catch (err) {
        logger?.warn({ err, callId, conversationId }, 'SIP: agent MESSAGE not handled; asking the far end to retry');
        return reply(500, 'Server Internal Error', [['Retry-After', '1']]);
      }
    }
    case 'CANCEL':
      return reply(481, 'Call/Transaction Does Not Exist');
    default:
      return reply(405, 'Method Not Allowed');
  }
}
