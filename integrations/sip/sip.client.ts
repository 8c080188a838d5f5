/**
 * The user agent: a UAC that places one INVITE per routing attempt (with its own overall timeout and CANCEL),
 * ACKs the answer, sends BYE, and a small UAS side (sip.uas.ts) that answers the contact centre's BYE (and OPTIONS
 * pings). Its options and results are declared in sip.client.types.ts and re-exported here.
 * Nothing here must survive a restart: dialogs live in the workflow, identifiers are derived (see sip.dialog.ts).
 */
import { randomBytes } from 'node:crypto';
import { digestAuthorization } from './sip.digest';
import {
  allowFor, branchFor, buildCancel, buildInDialog, buildInvite, conversationIdOf, dialogFromAnswer, dialogHop, hopFor,
  localTagFor, viaFor, type InDialogContent, type LocalAddress, type SipHop,
} from './sip.dialog';
import { escapeUser, parseCSeq, parseNameAddr, tagOf } from './sip.headers';
import { header, headerValues, isResponse, serializeMessage, type SipRequest, type SipResponse } from './sip.message';
import { createTransactionLayer, type TransactionResult } from './sip.transaction';
import { openSipTransport, type Inbound } from './sip.transport';
import type { ByeResult, InviteInput, InviteResult, SipAgent, SipAgentOptions } from './sip.client.types';
import { answerRequest } from './sip.uas';
import type { SipDialog } from './sip.types';

export type {
  AgentMessage, AgentMessageAnswer, ByeResult, InviteInput, InviteResult, SipAgent, SipAgentOptions,
} from './sip.client.types';

/** RFC 3261 §18.1.1: the largest request sent over UDP when the path MTU is unknown. */
export const UDP_MAX_REQUEST_BYTES = 1300;

const sleep = (ms: number) => {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'elapsed'>((resolve) => (timer = setTimeout(() => resolve('elapsed'), ms)));
  return { promise, cancel: () => clearTimeout(timer) };
};

export async function startSipAgent(options: SipAgentOptions): Promise<SipAgent> {
  const t1Ms = options.t1Ms ?? 500;
  const logger = options.logger;
  // ACKs of answered calls, by Call-ID, re-sent while the far end retransmits its 2xx (64·T1, §13.3.1.4).
  const acked = new Map<string, { ack: SipRequest; hop: SipHop; timer: NodeJS.Timeout }>();

  const transport = await openSipTransport({
    host: options.host,
    port: options.port,
    onMessage: (inbound) => void onMessage(inbound),
    onMalformed: (error, source) => logger?.warn({ err: error, source }, 'SIP: dropped a malformed message'),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const layer = createTransactionLayer(transport, { t1Ms, t2Ms: options.t2Ms ?? 4_000 });
  const local: LocalAddress = { host: options.publicHost ?? options.host, port: transport.port, ...(transport.tlsPort ? { tlsPort: transport.tlsPort } : {}) };
  const allow = allowFor(options.onAgentMessage !== undefined);

  async function acknowledge(dialog: SipDialog, seq = dialog.localSeq): Promise<void> {
    const ack = buildInDialog(dialog, 'ACK', seq, local);
    const hop = dialogHop(dialog);
    clearTimeout(acked.get(dialog.callId)?.timer);
    const timer = setTimeout(() => acked.delete(dialog.callId), 64 * t1Ms);
    timer.unref();
    acked.set(dialog.callId, { ack, hop, timer });
    await transport.send(ack, hop).catch((err: Error) => logger?.warn({ err, callId: dialog.callId }, 'SIP: ACK not sent'));
  }

  async function settle(invite: SipRequest, input: InviteInput, hop: SipHop, result: TransactionResult): Promise<InviteResult> {
    if (result.kind === 'timeout') return { kind: 'noAnswer', cancelled: false };
    if (result.kind === 'transportError') return result;
    if (result.response.status >= 300) return { kind: 'failed', response: result.response };
    // The dialog's CSeq is the answered INVITE's (2 after a digest challenge): the ACK carries it.
    const dialog = { ...dialogFromAnswer(invite, result.response, input.conversationId, hop.transport), localSeq: parseCSeq(header(invite, 'CSeq') ?? '1 INVITE').seq };
    await acknowledge(dialog);
    return { kind: 'answered', response: result.response, dialog };
  }

  async function invite(input: InviteInput): Promise<InviteResult> {
    const hop = hopFor(input.requestUri, 'udp');
    const request = buildInvite({
      requestUri: input.requestUri,
      callId: input.callId,
      fromUri: input.fromUri ?? `sip:${escapeUser(input.fromUser)}@${local.host}`,
      transport: hop.transport,
      local,
      extraHeaders: input.extraHeaders,
      allow,
      ...(input.sdp ? { sdp: input.sdp } : {}),
      ...(input.content ? { content: input.content } : {}),
    });
    const first = await attempt(request, input, hop);
    const challenged = first.kind === 'failed' && (first.response.status === 401 || first.response.status === 407) ? first.response : undefined;
    if (!challenged || !input.credentials || input.signal?.aborted) return first;
    // §22.2: the same INVITE again (same Call-ID, From tag) with the next CSeq, a new branch and our credentials.
    const proxy = challenged.status === 407;
    const authorization = digestAuthorization(header(challenged, proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate'), {
      method: 'INVITE',
      uri: input.requestUri,
      ...input.credentials,
      cnonce: randomBytes(8).toString('hex'),
    });
    if (!authorization) return first;
    const again: SipRequest = {
      ...request,
      headers: [
        ...request.headers.map(([name, value]): [string, string] =>
          name === 'Via' ? [name, viaFor(local, hop.transport, branchFor(input.callId, 2, 'INVITE'))] : name === 'CSeq' ? [name, '2 INVITE'] : [name, value],
        ),
        [proxy ? 'Proxy-Authorization' : 'Authorization', authorization],
      ],
    };
    return attempt(again, input, hop);
  }

  /** One INVITE transaction: its final answer, or CANCEL at the timeout or when the caller gives up. */
  async function attempt(request: SipRequest, input: InviteInput, hop: SipHop): Promise<InviteResult> {
    const transaction = layer.start(request, hop, input.onProvisional);
    const deadline = sleep(input.timeoutMs);
    const aborted = new Promise<'elapsed'>((resolve) => {
      if (input.signal?.aborted) resolve('elapsed');
      input.signal?.addEventListener('abort', () => resolve('elapsed'), { once: true });
    });
    const first = await Promise.race([transaction.result, deadline.promise, aborted]);
    deadline.cancel();
    if (first !== 'elapsed') return settle(request, input, hop, first);

    // §9.1: a CANCEL may only follow a provisional answer; without one the INVITE is simply abandoned.
    if (!transaction.provisional) {
      transaction.abandon();
      return { kind: 'noAnswer', cancelled: false };
    }
    const cancel = layer.start(buildCancel(request), hop);
    void cancel.result.then((r) => r.kind !== 'final' && logger?.warn({ callId: input.callId, result: r.kind }, 'SIP: CANCEL unanswered'));
    const grace = sleep(64 * t1Ms);
    const after = await Promise.race([transaction.result, grace.promise]);
    grace.cancel();
    if (after === 'elapsed') {
      transaction.abandon();
      return { kind: 'noAnswer', cancelled: true };
    }
    // A 2xx that crossed our CANCEL wins: the agent has already taken the conversation.
    if (after.kind === 'final' && after.response.status < 300) return settle(request, input, hop, after);
    return { kind: 'noAnswer', cancelled: true };
  }

  async function bye(dialog: SipDialog): Promise<ByeResult> {
    const seq = dialog.localSeq + 1;
    const result = await layer.start(buildInDialog(dialog, 'BYE', seq, local), dialogHop(dialog)).result;
    return result.kind === 'final' ? { kind: 'response', status: result.response.status, reason: result.response.reason } : result;
  }

  async function message(dialog: SipDialog, seq: number, content: InDialogContent): Promise<ByeResult> {
    const hop = dialogHop(dialog);
    const request = buildInDialog(dialog, 'MESSAGE', seq, local, content);
    const answered = (result: TransactionResult): ByeResult =>
      result.kind === 'final' ? { kind: 'response', status: result.response.status, reason: result.response.reason } : result;
    if (hop.transport === 'udp' && serializeMessage(request).length > UDP_MAX_REQUEST_BYTES) {
      // RFC 3261 §18.1.1: over 1300 bytes (the path MTU unknown) a request MUST go over a congestion-controlled
      // transport: TCP to the same address, its top Via saying so; if the connection is refused, UDP after all.
      const tcp = await layer.start(buildInDialog({ ...dialog, transport: 'tcp' }, 'MESSAGE', seq, local, content), { ...hop, transport: 'tcp' }).result;
      if (tcp.kind !== 'transportError') return answered(tcp);
      logger?.warn({ callId: dialog.callId, seq, err: tcp.error }, 'SIP: a large MESSAGE could not go over TCP; sending it over UDP');
    }
    return answered(await layer.start(request, hop).result);
  }

  async function reinvite(dialog: SipDialog, seq: number, content?: InDialogContent): Promise<TransactionResult> {
    const hop = dialogHop(dialog);
    const result = await layer.start(buildInDialog(dialog, 'INVITE', seq, local, content), hop).result;
    // ACKed like the first answer: a retransmitted 2xx gets the same ACK again.
    if (result.kind === 'final' && result.response.status < 300) await acknowledge(dialog, seq);
    return result;
  }

  /** A 2xx no transaction claims: a retransmission (ACK again), or an answer we no longer want (ACK, then BYE). */
  async function onStrayAnswer(response: SipResponse, source: SipHop): Promise<void> {
    const callId = header(response, 'Call-ID') ?? '';
    const known = acked.get(callId);
    if (known) return transport.send(known.ack, known.hop).catch(() => undefined);
    const conversationId = conversationIdOf(callId);
    const contact = headerValues(response, 'Contact')[0];
    if (!conversationId || !contact || tagOf(header(response, 'From')) !== localTagFor(callId)) return;
    const dialog: SipDialog = {
      conversationId,
      callId,
      localTag: localTagFor(callId),
      remoteTag: tagOf(header(response, 'To')) ?? '',
      localUri: parseNameAddr(header(response, 'From')!).uri,
      remoteUri: parseNameAddr(header(response, 'To')!).uri,
      remoteTarget: parseNameAddr(contact).uri,
      routeSet: headerValues(response, 'Record-Route').reverse(),
      localSeq: 1,
      transport: source.transport,
    };
    logger?.warn({ callId, conversationId }, 'SIP: answer after we gave up on the call; ACK and BYE');
    await acknowledge(dialog);
    await bye(dialog);
  }

  async function onMessage(inbound: Inbound): Promise<void> {
    const { message } = inbound;
    try {
      if (!isResponse(message)) return await answerRequest(message, inbound, options, allow);
      if (layer.receive(message)) return;
      const cseq = parseCSeq(header(message, 'CSeq') ?? '');
      const answered = cseq.method === 'INVITE' && message.status >= 200 && message.status < 300;
      // A retransmitted 2xx of a call this process ACKed is ACKed again before anyone else looks at it.
      const known = answered ? acked.get(header(message, 'Call-ID') ?? '') : undefined;
      if (known) return await transport.send(known.ack, known.hop).catch(() => undefined);
      if (options.onStrayResponse && (await options.onStrayResponse(message, inbound.source))) return;
      if (answered) await onStrayAnswer(message, inbound.source);
    } catch (err) {
      logger?.warn({ err, source: inbound.source }, 'SIP: could not handle a message');
    }
  }

  return {
    local,
    invite,
    bye,
    message,
    reinvite,
    send: (message, to) => transport.send(message, to),
    async close() {
      layer.close();
      for (const { timer } of acked.values()) clearTimeout(timer);
      acked.clear();
      await transport.close();
    },
  };
}
