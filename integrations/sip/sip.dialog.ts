/**
 * The requests of our side of a call, built per RFC 3261 (§8.1.1, §9.1, §12, §17.1.1.3), with identifiers derived
 * from the conversation rather than drawn at random: a retried activity re-sends the very same INVITE (same
 * Call-ID, From tag and branch, so the far end sees a retransmission), and any worker process can map a BYE back
 * to its conversation and check it, without memory. Pure.
 */
import { createHash } from 'node:crypto';
import { formatNameAddr, parseNameAddr, parseUri, tagOf, type SipUri } from './sip.headers';
import { header, headerValues, type SipHeaders, type SipRequest, type SipResponse } from './sip.message';
import type { SipDialog, SipTransportName } from './sip.types';

export type { SipTransportName } from './sip.types';

/** Where a request goes, and how. */
export interface SipHop {
  host: string;
  port: number;
  transport: SipTransportName;
}

/** Our own address, as the Via sent-by and Contact advertise it. */
export interface LocalAddress {
  host: string;
  /** UDP and TCP. */
  port: number;
  /** The TLS listener's port (SIP_TLS_PORT), when one is open; else TLS names `port`. */
  tlsPort?: number;
}

/** Our port for a transport: TLS has its own listener (5061 by default, RFC 3261 §19.1.2). */
const portFor = (local: LocalAddress, transport: SipTransportName) => (transport === 'tls' ? (local.tlsPort ?? local.port) : local.port);

/**
 * Our Contact URI over a transport (`;transport=tcp|tls`, nothing for UDP, the TLS listener's port for TLS); `sips:`
 * when the request it answers or belongs to is `sips:` (§8.1.1.8).
 */
export function contactFor(local: LocalAddress, transport: SipTransportName, secure = false): string {
  return `${secure ? 'sips' : 'sip'}:whatsapp@${local.host}:${portFor(local, transport)}${transport === 'udp' || secure ? '' : `;transport=${transport}`}`;
}

const CALL_ID_HOST = 'whatsapp-connector';
const CALL_ID = /^(\d+)\.(\d+)\.([A-Za-z0-9_-]+)@whatsapp-connector$/;
const MAGIC_COOKIE = 'z9hG4bK';
/**
 * What we accept from the far end (§20.5): in-dialog ACK and BYE, CANCEL, OPTIONS pings, and in page mode
 * (SIP_CHAT_MODE=message) the agent's in-dialog MESSAGE (RFC 3428).
 */
export const allowFor = (pageMode: boolean) => `ACK, BYE, CANCEL, OPTIONS${pageMode ? ', MESSAGE' : ''}`;
export const USER_AGENT = 'whatsapp-connector';

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** `<attempt>.<generation>.<conversation id, base64url>@whatsapp-connector`: unique per attempt, reversible. */
export function callIdFor(conversationId: string, attempt: number, generation = 0): string {
  return `${attempt}.${generation}.${Buffer.from(conversationId, 'utf8').toString('base64url')}@${CALL_ID_HOST}`;
}

/** The conversation a Call-ID of ours belongs to; undefined for any other Call-ID. */
export function conversationIdOf(callId: string): string | undefined {
  const match = CALL_ID.exec(callId.trim());
  return match ? Buffer.from(match[3]!, 'base64url').toString('utf8') : undefined;
}

/** Our From tag in a call. */
export function localTagFor(callId: string): string {
  return digest(`tag ${callId}`, 16);
}

/** A transaction's branch (§8.1.1.7): the same for a re-sent request, a CANCEL and a non-2xx ACK. */
export function branchFor(callId: string, seq: number, method: string): string {
  return `${MAGIC_COOKIE}${digest(`${callId} ${seq} ${method}`, 24)}`;
}

export function viaFor(local: LocalAddress, transport: SipTransportName, branch: string): string {
  // rport (RFC 3581): answers to UDP come back to the port we sent from, through NAT too.
  return `SIP/2.0/${transport.toUpperCase()} ${local.host}:${portFor(local, transport)};branch=${branch}${transport === 'udp' ? ';rport' : ''}`;
}

/**
 * The next hop for a URI: its host and port, its transport parameter or the given one. A `sips:` URI, or
 * `;transport=tls`, is TLS (RFC 3261 §19.1.2, §26.2), on port 5061 unless the URI names one; else 5060.
 */
export function hopFor(uriText: string, fallback: SipTransportName): SipHop {
  const uri: SipUri = parseUri(uriText);
  const named = typeof uri.params.transport === 'string' ? uri.params.transport.toLowerCase() : undefined;
  // sips: is TLS whatever the parameter says (RFC 5630: sips with transport=tcp is TLS over TCP); never UDP.
  const transport = uri.scheme === 'sips' && named !== 'udp' ? 'tls' : (named ?? fallback);
  if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls') throw new Error(`unsupported SIP transport ${transport} in ${uriText}`);
  if (uri.scheme === 'sips' && transport === 'udp') throw new Error(`a sips: URI cannot go over UDP: ${uriText}`);
  return { host: uri.host.replace(/^\[|\]$/g, ''), port: uri.port ?? (transport === 'tls' ? 5061 : 5060), transport };
}

export interface InviteInput {
  requestUri: string;
  callId: string;
  fromUri: string;
  transport: SipTransportName;
  local: LocalAddress;
  /** Headers describing the conversation (X-Conversation-Id …). */
  extraHeaders: SipHeaders;
  /** The Allow header: {@link allowFor}. */
  allow?: string;
  /** A session description offered in the body (`application/sdp`): the MSRP session in session mode. */
  sdp?: string;
  /** A body and its Content-Type: the SDP offer of a WhatsApp call passed through (sip.b2bua.ts). */
  content?: { contentType: string; body: string };
}

export function buildInvite(input: InviteInput): SipRequest {
  const contact = contactFor(input.local, input.transport, /^sips:/i.test(input.requestUri));
  return {
    method: 'INVITE',
    uri: input.requestUri,
    headers: [
      ['Via', viaFor(input.local, input.transport, branchFor(input.callId, 1, 'INVITE'))],
      ['Max-Forwards', '70'],
      ['From', formatNameAddr({ uri: input.fromUri, params: { tag: localTagFor(input.callId) } })],
      ['To', formatNameAddr({ uri: input.requestUri, params: {} })],
      ['Call-ID', input.callId],
      ['CSeq', '1 INVITE'],
      ['Contact', `<${contact}>`],
      ['Allow', input.allow ?? allowFor(false)],
      ['User-Agent', USER_AGENT],
      ...input.extraHeaders,
      ...(input.sdp ? [['Content-Type', 'application/sdp'] as [string, string]] : []),
      ...(input.content ? ([['Content-Type', input.content.contentType]] as SipHeaders) : []),
    ],
    body: input.sdp ?? input.content?.body ?? '',
  };
}

function copied(request: SipRequest, names: string[]): SipHeaders {
  return request.headers.filter(([name]) => names.includes(name.toLowerCase()));
}

/** The INVITE's CSeq number, which its CANCEL and non-2xx ACK repeat (§9.1, §17.1.1.3); 1 for ours. */
const inviteSeq = (invite: SipRequest) => Number.parseInt(header(invite, 'CSeq') ?? '1', 10) || 1;

/** CANCEL for a pending INVITE (§9.1): its Request-URI, top Via (same branch), From, To, Call-ID and CSeq number. */
export function buildCancel(invite: SipRequest): SipRequest {
  return {
    method: 'CANCEL',
    uri: invite.uri,
    headers: [
      ['Via', headerValues(invite, 'Via')[0]!],
      ['Max-Forwards', '70'],
      ...copied(invite, ['from', 'to', 'call-id', 'route']),
      ['CSeq', `${inviteSeq(invite)} CANCEL`],
      ['User-Agent', USER_AGENT],
    ],
    body: '',
  };
}

/** ACK for a non-2xx final answer, inside the INVITE transaction (§17.1.1.3): To carries the answer's tag. */
export function buildFailureAck(invite: SipRequest, response: SipResponse): SipRequest {
  return {
    method: 'ACK',
    uri: invite.uri,
    headers: [
      ['Via', headerValues(invite, 'Via')[0]!],
      ['Max-Forwards', '70'],
      ...copied(invite, ['from', 'call-id', 'route']),
      ['To', header(response, 'To') ?? header(invite, 'To')!],
      ['CSeq', `${inviteSeq(invite)} ACK`],
    ],
    body: '',
  };
}

/** The dialog a 2xx answer to our INVITE establishes (§12.1.2). */
export function dialogFromAnswer(invite: SipRequest, answer: SipResponse, conversationId: string, transport: SipTransportName): SipDialog {
  const contact = headerValues(answer, 'Contact')[0];
  if (!contact) throw new Error('2xx answer to INVITE without Contact');
  return {
    conversationId,
    callId: header(invite, 'Call-ID')!,
    localTag: tagOf(header(invite, 'From'))!,
    remoteTag: tagOf(header(answer, 'To')) ?? '',
    localUri: parseNameAddr(header(invite, 'From')!).uri,
    remoteUri: parseNameAddr(header(invite, 'To')!).uri,
    remoteTarget: parseNameAddr(contact).uri,
    routeSet: headerValues(answer, 'Record-Route').reverse(),
    localSeq: 1,
    transport,
  };
}

/** Where the dialog's requests go: the first route (loose routing, §16.12), else the remote target. */
export function dialogHop(dialog: SipDialog): SipHop {
  const first = dialog.routeSet[0];
  return hopFor(first ? parseNameAddr(first).uri : dialog.remoteTarget, dialog.transport);
}

/** A body and the headers that describe it, for an in-dialog MESSAGE. */
export interface InDialogContent {
  contentType: string;
  body: string;
  headers?: SipHeaders;
}

/**
 * A request inside the dialog (§12.2.1.1): ACK for the 2xx (seq 1), BYE, or a MESSAGE (RFC 3428 §4) with a body.
 * Everything derives from the dialog and `seq`, so the same arguments build the very same request (branch included).
 */
export function buildInDialog(dialog: SipDialog, method: 'ACK' | 'BYE' | 'MESSAGE' | 'INVITE', seq: number, local: LocalAddress, content?: InDialogContent): SipRequest {
  const described: SipHeaders = content ? [...(content.headers ?? []), ['Content-Type', content.contentType]] : [];
  // A re-INVITE is a target refresh request (§12.2.1.1): it carries our Contact.
  if (method === 'INVITE') described.unshift(['Contact', `<${contactFor(local, dialog.transport, /^sips:/i.test(dialog.remoteTarget))}>`]);
  return {
    method,
    uri: dialog.remoteTarget,
    headers: [
      ['Via', viaFor(local, dialog.transport, branchFor(dialog.callId, seq, method))],
      ['Max-Forwards', '70'],
      ...dialog.routeSet.map((route): [string, string] => ['Route', route]),
      ['From', formatNameAddr({ uri: dialog.localUri, params: { tag: dialog.localTag } })],
      ['To', formatNameAddr({ uri: dialog.remoteUri, params: dialog.remoteTag ? { tag: dialog.remoteTag } : {} })],
      ['Call-ID', dialog.callId],
      ['CSeq', `${seq} ${method}`],
      ['User-Agent', USER_AGENT],
      ...described,
    ],
    body: content?.body ?? '',
  };
}

/** A response to a request we received (§8.2.6): Via, From, Call-ID, CSeq copied; To gets a tag if it had none. */
export function buildResponse(request: SipRequest, status: number, reason: string, extra: SipHeaders = [], allow = allowFor(false)): SipResponse {
  const to = header(request, 'To') ?? '';
  const callId = header(request, 'Call-ID') ?? '';
  return {
    status,
    reason,
    headers: [
      ...request.headers.filter(([name]) => name.toLowerCase() === 'via'),
      ...copied(request, ['from']),
      ['To', tagOf(to) || status === 100 ? to : `${to};tag=${localTagFor(callId)}`],
      ...copied(request, ['call-id', 'cseq']),
      ['Allow', allow],
      ['User-Agent', USER_AGENT],
      ...extra,
    ],
    body: '',
  };
}
