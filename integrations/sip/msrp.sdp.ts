/**
 * The SDP of an MSRP session (RFC 4975 §8, RFC 6135 for `a=setup`): the offer our INVITE carries and what we read
 * from the contact centre's answer. Our session URI derives from the call, so any worker rebuilds it. Pure.
 */
import { createHash } from 'node:crypto';

export const MSRP_CONTENT_TYPE = 'text/plain';

/**
 * What the workflow keeps of a negotiated MSRP session, on the call: plain JSON. `remotePath` is the To-Path of our
 * requests (the answer's `a=path`, leftmost first: the URI we connect to); `localUri` our From-Path.
 */
export interface MsrpCall {
  localUri: string;
  remotePath: string[];
}

export interface MsrpUri {
  host: string;
  port: number;
  sessionId: string;
  transport: string;
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** Our session-id for a call (§6: unguessable enough to key the session; here derived, not random, see README). */
export function msrpSessionIdFor(callId: string): string {
  return digest(`msrp ${callId}`, 24);
}

/**
 * Our MSRP URI. We are the active endpoint (the offerer connects, §5.4; `a=setup:active`, RFC 6135) and listen on no
 * port: RFC 6135 §4.2's discard port 9 stands in the m-line and the URI.
 */
export function localMsrpUri(host: string, callId: string): string {
  const authority = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `msrp://${authority}:9/${msrpSessionIdFor(callId)};tcp`;
}

/** `msrp://host:port/session-id;tcp` (§6). Throws on another scheme or transport (we speak neither TLS nor relays' msrps). */
export function parseMsrpUri(uri: string): MsrpUri {
  const match = /^msrp:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/;]+):(\d+)\/([^;/]+);([A-Za-z]+)$/i.exec(uri.trim());
  if (!match) throw new Error(`not an msrp:// URI with a port, a session-id and a transport: ${uri}`);
  if (match[4]!.toLowerCase() !== 'tcp') throw new Error(`MSRP transport ${match[4]} is not spoken (only tcp): ${uri}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]), sessionId: match[3]!, transport: 'tcp' };
}

/** The SDP offer (RFC 4566) for one MSRP session carrying `text/plain`, for the call `callId`. */
export function msrpOffer(host: string, callId: string): string {
  const family = host.includes(':') ? 'IP6' : 'IP4';
  const version = Number.parseInt(digest(`sdp ${callId}`, 8), 16);
  return [
    'v=0',
    `o=whatsapp-connector ${version} ${version} IN ${family} ${host}`,
    's=-',
    `c=IN ${family} ${host}`,
    't=0 0',
    'm=message 9 TCP/MSRP *',
    `a=accept-types:${MSRP_CONTENT_TYPE}`,
    `a=path:${localMsrpUri(host, callId)}`,
    'a=setup:active',
    '',
  ].join('\r\n');
}

/** Reads the answer's MSRP media: the session to join, or why it cannot be joined. */
export function msrpAnswer(sdp: string, callId: string, host: string): { ok: true; session: MsrpCall } | { ok: false; problem: string } {
  const lines = sdp.split(/\r?\n/).map((line) => line.trim());
  const media = lines.findIndex((line) => /^m=message \d+ TCP\/MSRP /i.test(line));
  if (media === -1) return { ok: false, problem: 'the answer has no m=message … TCP/MSRP media line' };
  if (/^m=message 0 /.test(lines[media]!)) return { ok: false, problem: 'the answer refused the MSRP media (port 0)' };
  const next = lines.findIndex((line, i) => i > media && line.startsWith('m='));
  const attributes = lines.slice(media + 1, next === -1 ? undefined : next);
  const value = (name: string) => attributes.find((a) => a.startsWith(`a=${name}:`))?.slice(name.length + 3).trim();
  const path = value('path')?.split(/\s+/).filter(Boolean) ?? [];
  if (path.length === 0) return { ok: false, problem: 'the answer has no a=path' };
  try {
    path.forEach(parseMsrpUri);
  } catch (err) {
    return { ok: false, problem: (err as Error).message };
  }
  // §8.6: what they accept must include plain text, every line we send is text/plain.
  const accepts = (value('accept-types') ?? '').split(/\s+/).map((t) => t.toLowerCase());
  if (!accepts.some((t) => t === '*' || t === 'text/*' || t === MSRP_CONTENT_TYPE)) return { ok: false, problem: `the answer does not accept ${MSRP_CONTENT_TYPE} (accept-types: ${accepts.join(' ')})` };
  const setup = value('setup');
  if (setup === 'active') return { ok: false, problem: 'the answer wants to connect itself (a=setup:active); we only connect' };
  return { ok: true, session: { localUri: localMsrpUri(host, callId), remotePath: path } };
}

/**
 * The Message-ID of a chat line (§7.1.1: unique within the session): derived from the call and the line's number,
 * so every attempt to send that line carries the same one and the receiver sees a retransmission, never a second
 * message (the transaction ids stay random, §7.1).
 */
export function msrpMessageIdFor(callId: string, seq: number): string {
  return `wa${digest(`message ${callId} ${seq}`, 24)}`;
}
