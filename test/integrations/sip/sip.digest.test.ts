/**
 * Digest authentication of Meta's INVITE (RFC 2617 MD5, qop=auth): the answer a client computes from the challenge
 * (written here independently, as RFC 2617 §3.2.2.1 gives it) passes; a wrong password, a forged or old nonce, or
 * another realm do not. sipp's own digest client is exercised end to end in test/e2e/whatsapp-calls.test.ts.
 */
import { createHash } from 'node:crypto';
import { checkDigest, digestAuthorization, digestChallenge, NONCE_MAX_AGE_MS, parseDigest } from '../../../integrations/sip/sip.digest';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const secret = 'process-secret';
const realm = 'whatsapp-connector';
const at = Date.UTC(2026, 10, 30, 12);

/** What a client answers (RFC 2617 §3.2.2.1, qop=auth). */
function answer(challenge: string, password: string, overrides: Record<string, string> = {}): string {
  const c = parseDigest(challenge)!;
  const p = { username: '12025550107', realm: c.realm!, nonce: c.nonce!, uri: 'sip:+12025550107@127.0.0.1:5060', nc: '00000001', cnonce: '0a4f113b', qop: 'auth', ...overrides };
  const response = md5(`${md5(`${p.username}:${p.realm}:${password}`)}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${md5(`INVITE:${p.uri}`)}`);
  return `Digest username="${p.username}", realm="${p.realm}", nonce="${p.nonce}", uri="${p.uri}", response="${response}", algorithm=MD5, cnonce="${p.cnonce}", qop=${p.qop}, nc=${p.nc}`;
}

const check = (authorization: string | undefined, password = 'meta-generated', when = at) => checkDigest({ authorization, method: 'INVITE', password, realm, secret, at: when });

test('the challenge asks for MD5 with qop=auth in our realm', () => {
  expect(digestChallenge(realm, secret, at)).toMatch(/^Digest realm="whatsapp-connector", nonce="[\w.-]+", algorithm=MD5, qop="auth"$/);
});

test('the right password passes; a wrong one does not', () => {
  const challenge = digestChallenge(realm, secret, at);
  expect(check(answer(challenge, 'meta-generated'))).toBe('ok');
  expect(check(answer(challenge, 'meta-generated'), 'another-number-password')).toBe('wrong');
});

test('no credentials, or credentials for another realm, are asked for again', () => {
  expect(check(undefined)).toBe('missing');
  expect(check(answer(digestChallenge('elsewhere', secret, at), 'meta-generated'))).toBe('missing');
});

test('a nonce we did not issue, or one older than five minutes, is stale', () => {
  expect(check(answer(digestChallenge(realm, 'another-process', at), 'meta-generated'))).toBe('stale');
  const old = digestChallenge(realm, secret, at);
  expect(check(answer(old, 'meta-generated'), 'meta-generated', at + NONCE_MAX_AGE_MS + 1)).toBe('stale');
  expect(check(answer(old, 'meta-generated'), 'meta-generated', at + NONCE_MAX_AGE_MS - 1)).toBe('ok');
});

describe('answering a digest challenge (client side, business-initiated calls)', () => {
  test("RFC 2617 §3.5's worked example gives its response", () => {
    const value = digestAuthorization('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"', {
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      cnonce: '0a4f113b',
    });
    expect(parseDigest(value)).toMatchObject({ username: 'Mufasa', response: '6629fae49393a05397450978507c4ef1', qop: 'auth', nc: '00000001', opaque: '5ccc069c403ebaf9f0171e9517f40e41' });
  });

  test('a non-digest challenge gets no answer', () => {
    expect(digestAuthorization('Basic realm="x"', { method: 'INVITE', uri: 'sip:+1@wa.meta.vc', username: 'u', password: 'p', cnonce: 'c' })).toBeUndefined();
  });
});
