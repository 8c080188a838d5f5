/**
 * The INVITE Meta's SIP server sends when a WhatsApp user calls a business number: where it goes (the first SIP
 * server of the number's calling settings, with its `request_uri_user_params`), how it is written (From the user at
 * wa.meta.vc, an SDP offer), and the same INVITE again with digest credentials after the business's 401 or 407
 * challenge (RFC 3261 §22.2, §22.3), the SIP password "Meta" generated for the number.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { randomBytes } from 'node:crypto';
import type { SipHop, SipTransportName } from '../integrations/sip/sip.dialog';
import type { SipRequest } from '../integrations/sip/sip.message';
import { digestAuthorization } from '../integrations/sip/sip.digest';
import { asMeta, META_ALLOW, newBranch } from './meta-sip.call';
import type { Held } from './calling-settings';

/** How a simulated user calls (meta-sip.ts `placeCall`, the `/_sim/calls` control). */
export interface PlaceCallOptions {
  phoneNumberId: string;
  /** The caller's wa_id (digits). */
  from: string;
  /** The business number as Meta displays it (digits); the To and Request-URI user. */
  displayPhoneNumber: string;
  profileName?: string;
  wabaId?: string;
  /** Hang up (BYE) this long after the answer; unset: stays up until hangUp(). */
  hangUpAfterMs?: number;
  /** Give up (CANCEL) this long after ringing starts, if still unanswered. */
  cancelAfterMs?: number;
}

/** Refused before anything is sent: the number has no SIP server to call, calling is off, or it blocked the caller. */
export class CallNotPlaceable extends Error {}

/** Where the INVITE goes and with which credentials. */
export interface InviteTarget {
  requestUri: string;
  toUri: string;
  hop: SipHop;
  password?: string;
}

/** The number's first enabled SIP server as Meta would call it, or CallNotPlaceable. */
export function inviteTarget(held: Held | undefined, opts: PlaceCallOptions, kind: SipTransportName): InviteTarget {
  const sip = held?.calling.sip as { status?: string; servers?: { hostname: string; port?: number; request_uri_user_params?: Record<string, string> }[] } | undefined;
  const server = sip?.status === 'ENABLED' ? sip.servers?.[0] : undefined;
  if (held?.calling.status !== 'ENABLED' || !server) throw new CallNotPlaceable(`number ${opts.phoneNumberId} has no calling with an enabled SIP server in its settings`);
  const port = server.port ?? 5060;
  const userParams = Object.entries(server.request_uri_user_params ?? {}).map(([k, v]) => `;${k}=${v}`).join('');
  return {
    // Meta adds transport=TLS to the Request-URI of its requests (SIP page); the simulator names the transport it uses.
    requestUri: `sip:+${opts.displayPhoneNumber}${userParams}@${server.hostname}:${port}${kind === 'udp' ? '' : `;transport=${kind}`}`,
    toUri: `sip:+${opts.displayPhoneNumber}@${server.hostname}`,
    hop: { host: server.hostname, port, transport: kind },
    ...(held.sipPassword ? { password: held.sipPassword } : {}),
  };
}

/** One call's INVITE, at CSeq `seq`, with `Authorization` when credentials are given. */
export function buildInvite(call: { callId: string; fromTag: string; sdp: string; from: string }, target: InviteTarget, local: { host: string; port: number }, kind: SipTransportName, seq: number, auth?: string): SipRequest {
  return asMeta({
    method: 'INVITE',
    uri: target.requestUri,
    headers: [
      ['Via', `SIP/2.0/${kind.toUpperCase()} ${local.host}:${local.port};branch=${newBranch()}${kind === 'udp' ? ';rport' : ''}`],
      ['Max-Forwards', '70'],
      ['From', `<sip:+${call.from}@wa.meta.vc>;tag=${call.fromTag}`],
      ['To', `<${target.toUri}>`],
      ['Call-ID', call.callId],
      ['CSeq', `${seq} INVITE`],
      ['Contact', `<sip:+${call.from}@${local.host}:${local.port}${kind === 'udp' ? '' : `;transport=${kind}`}>`],
      ['Allow', META_ALLOW],
      ...(auth ? ([['Authorization', auth]] as [string, string][]) : []),
      ['Content-Type', 'application/sdp'],
    ],
    body: call.sdp,
  });
}

/**
 * The credentials answering a 401 (`WWW-Authenticate`) or 407 (`Proxy-Authenticate`) challenge, and the header they
 * go in: Authorization for a 401, Proxy-Authorization for a proxy's 407 (RFC 3261 §22.3). No value for a challenge
 * the digest code cannot answer (not MD5, no realm or nonce): the INVITE then goes again without credentials.
 */
export function answerChallenge(status: 401 | 407, challenge: string, opts: { uri: string; username: string; password: string }): { header: 'Authorization' | 'Proxy-Authorization'; value: string | undefined } {
  const value = digestAuthorization(challenge, { method: 'INVITE', uri: opts.uri, username: opts.username, password: opts.password, cnonce: randomBytes(8).toString('hex') });
  return { header: status === 407 ? 'Proxy-Authorization' : 'Authorization', value };
}
