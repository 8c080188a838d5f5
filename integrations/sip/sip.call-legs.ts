/**
 * The two legs of a WhatsApp call, as any process can rebuild them without memory: the agent leg's Call-ID
 * (derived from Meta's, so a BYE or a late answer maps back to its call), the caller's dialog as the UAS sees it,
 * where responses to the caller go, and what to do with an answer to an INVITE another process sent. Meta's SIP
 * page: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import type { Logger } from 'pino';
import { buildInDialog, localTagFor, type SipHop } from './sip.dialog';
import { parseNameAddr, tagOf } from './sip.headers';
import { header, headerValues, type SipRequest, type SipResponse } from './sip.message';
import type { SipAgent } from './sip.client';
import type { InboundInvite } from './sip.call.types';
import type { SipDialog } from './sip.types';

const LEG = /^(\d+)\.([A-Za-z0-9_-]+)@whatsapp-call$/;

/** The Call-ID of our INVITE to the contact centre for attempt `attempt` of the WhatsApp call `callId`. */
export const agentLegCallId = (callId: string, attempt: number) => `${attempt}.${Buffer.from(callId, 'utf8').toString('base64url')}@whatsapp-call`;
/** The WhatsApp call an agent leg's Call-ID belongs to; undefined for any other Call-ID. */
export function callOfAgentLeg(legCallId: string): string | undefined {
  const match = LEG.exec(legCallId.trim());
  return match ? Buffer.from(match[2]!, 'base64url').toString('utf8') : undefined;
}
/** The call workflow's id. */
export const callWorkflowId = (callId: string) => `call:${callId}`;


/** The caller's dialog as the UAS sees it (§12.1.1): Record-Route in order, the caller's Contact as target. */
export function customerDialogOf(invite: InboundInvite, conversationId: string): SipDialog {
  const request = invite.request;
  return {
    conversationId,
    callId: invite.callId,
    localTag: localTagFor(invite.callId),
    remoteTag: tagOf(header(request, 'From')) ?? '',
    localUri: parseNameAddr(header(request, 'To')!).uri,
    remoteUri: parseNameAddr(header(request, 'From')!).uri,
    remoteTarget: parseNameAddr(headerValues(request, 'Contact')[0] ?? header(request, 'From')!).uri,
    routeSet: headerValues(request, 'Record-Route'),
    localSeq: 0,
    transport: invite.source.transport,
  };
}

/** Where responses go (§18.2.2): the top Via's received/rport if present, else its sent-by. */
export function viaHop(invite: InboundInvite): SipHop {
  const via = headerValues(invite.request, 'Via')[0] ?? '';
  const rport = /;rport=(\d+)/.exec(via)?.[1];
  const received = /;received=([^;\s]+)/.exec(via)?.[1];
  return { host: received ?? invite.source.host, port: rport ? Number(rport) : invite.source.port, transport: invite.source.transport };
}


/**
 * A final answer to an agent leg whose INVITE a process now dead sent: a failure is ACKed (§17.1.1.3), a 2xx is
 * ACKed and ended with BYE at once (the call it belonged to has failed), so the contact centre holds nothing.
 */
export async function answerStray(response: SipResponse, source: SipHop, agent: SipAgent | undefined, connectorUri: string | undefined, logger?: Pick<Logger, 'warn'>): Promise<boolean> {
  const callId = header(response, 'Call-ID') ?? '';
  const cseq = header(response, 'CSeq') ?? '';
  if (!callOfAgentLeg(callId) || !/\bINVITE$/.test(cseq) || response.status < 200 || !agent || !connectorUri) return callOfAgentLeg(callId) !== undefined;
  if (response.status >= 300) {
    const ack: SipRequest = {
      method: 'ACK',
      uri: connectorUri,
      headers: [
        ['Via', headerValues(response, 'Via')[0]!],
        ['Max-Forwards', '70'],
        ['From', header(response, 'From')!],
        ['To', header(response, 'To')!],
        ['Call-ID', callId],
        ['CSeq', `${cseq.trim().split(/\s+/)[0]} ACK`],
      ],
      body: '',
    };
    await agent.send(ack, source).catch(() => undefined);
    return true;
  }
  const contact = headerValues(response, 'Contact')[0];
  if (!contact) return true;
  const dialog: SipDialog = {
    conversationId: '',
    callId,
    localTag: tagOf(header(response, 'From')) ?? '',
    remoteTag: tagOf(header(response, 'To')) ?? '',
    localUri: parseNameAddr(header(response, 'From')!).uri,
    remoteUri: parseNameAddr(header(response, 'To')!).uri,
    remoteTarget: parseNameAddr(contact).uri,
    routeSet: headerValues(response, 'Record-Route').reverse(),
    localSeq: 1,
    transport: source.transport,
  };
  logger?.warn({ callId }, 'SIP: an agent answered a call whose worker died; ACK and BYE');
  await agent.send(buildInDialog(dialog, 'ACK', 1, agent.local), source).catch(() => undefined);
  await agent.bye(dialog);
  return true;
}

