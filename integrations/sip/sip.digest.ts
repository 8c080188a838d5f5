/**
 * HTTP digest authentication as SIP uses it (RFC 3261 §22.4, RFC 2617 MD5 with qop=auth), server side: we
 * challenge the INVITE of Meta's SIP server with 401 and check its answer against the number's SIP password.
 * Meta: "For user-initiated calls, it is highly recommended that you challenge SIP INVITE requests from Meta to use
 * digest auth" (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/).
 * Nonces are stateless (time and an HMAC of it under a per-process secret), so no memory is kept between the
 * challenge and the retried INVITE; a nonce from before a restart is answered `stale=true` and Meta retries. Pure.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How long a nonce is good for. */
export const NONCE_MAX_AGE_MS = 5 * 60_000;

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function nonceAt(secret: string, at: number): string {
  const stamp = at.toString(36);
  return `${stamp}.${createHmac('sha256', secret).update(stamp).digest('base64url').slice(0, 22)}`;
}

/** The WWW-Authenticate value of a 401 (MD5, qop=auth). */
export function digestChallenge(realm: string, secret: string, at: number, stale = false): string {
  return `Digest realm="${realm}", nonce="${nonceAt(secret, at)}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
}

/** The parameters of an `Authorization: Digest …` value; undefined when it is not one. */
export function parseDigest(value: string | undefined): Record<string, string> | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(value ?? '');
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const pair = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let found = pair.exec(match[1]!); found; found = pair.exec(match[1]!)) {
    params[found[1]!.toLowerCase()] = found[2] !== undefined ? found[2].replace(/\\(.)/g, '$1') : found[3]!;
  }
  return params;
}

export type DigestVerdict = 'ok' | 'missing' | 'stale' | 'wrong';

export interface DigestCheck {
  /** The Authorization header of the request, if any. */
  authorization: string | undefined;
  method: string;
  password: string;
  realm: string;
  secret: string;
  /** Now, epoch ms. */
  at: number;
}

/** Whether the request proves the password (the username is whatever the client named: the password is per number). */
export function checkDigest(check: DigestCheck): DigestVerdict {
  const p = parseDigest(check.authorization);
  if (!p || !p.username || !p.nonce || !p.uri || !p.response || p.realm !== check.realm) return 'missing';
  if ((p.algorithm ?? 'MD5').toUpperCase() !== 'MD5') return 'wrong';
  const [stamp] = p.nonce.split('.');
  const issued = Number.parseInt(stamp ?? '', 36);
  if (!Number.isFinite(issued) || nonceAt(check.secret, issued) !== p.nonce) return 'stale';
  if (check.at - issued > NONCE_MAX_AGE_MS || issued - check.at > 60_000) return 'stale';
  const ha1 = md5(`${p.username}:${check.realm}:${check.password}`);
  const ha2 = md5(`${check.method}:${p.uri}`);
  const expected = p.qop ? md5(`${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
  const given = Buffer.from(p.response.toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected)) ? 'ok' : 'wrong';
}

/** What a client needs to answer a challenge (RFC 2617 §3.2.2): the request's method and Request-URI, and the credentials. */
export interface DigestAnswer {
  method: string;
  uri: string;
  username: string;
  password: string;
  /** The client nonce (random; fixed in tests). */
  cnonce: string;
}

/**
 * The Authorization (or Proxy-Authorization) value answering a `WWW-Authenticate` / `Proxy-Authenticate` challenge;
 * undefined when it is not an MD5 digest challenge. Meta challenges a business-initiated INVITE with 407 and expects
 * the number's SIP credentials, the username being the business number in the From header
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/).
 */
export function digestAuthorization(challenge: string | undefined, answer: DigestAnswer): string | undefined {
  const c = parseDigest(challenge);
  if (!c || !c.realm || !c.nonce || (c.algorithm ?? 'MD5').toUpperCase() !== 'MD5') return undefined;
  const qop = c.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const ha1 = md5(`${answer.username}:${c.realm}:${answer.password}`);
  const ha2 = md5(`${answer.method}:${answer.uri}`);
  const nc = '00000001';
  const response = qop ? md5(`${ha1}:${c.nonce}:${nc}:${answer.cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${c.nonce}:${ha2}`);
  const quoted = (v: string) => `"${v.replace(/(["\\])/g, '\\$1')}"`;
  return [
    `Digest username=${quoted(answer.username)}`,
    `realm=${quoted(c.realm)}`,
    `nonce=${quoted(c.nonce)}`,
    `uri=${quoted(answer.uri)}`,
    `response=${quoted(response)}`,
    'algorithm=MD5',
    ...(c.opaque !== undefined ? [`opaque=${quoted(c.opaque)}`] : []),
    ...(qop ? [`qop=${qop}`, `nc=${nc}`, `cnonce=${quoted(answer.cnonce)}`] : []),
  ].join(', ');
}
