/**
 * SIP over TLS on loopback (RFC 3261 §26.2, RFC 5630), with certificates the openssl CLI makes for the run: the
 * listener Meta's SIP servers connect to (stream framing over TLS records, clients that fail the handshake), and our
 * outbound TLS connections (the server certificate verified against the trusted CAs and the host, one connection
 * per peer reused). sipp here is built without TLS, so Node's `tls` client plays the far end.
 * Meta's rule: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { connect as connectTcp } from 'node:net';
import { startSipAgent, type SipAgent } from '../../../integrations/sip/sip.client';
import { buildResponse, hopFor } from '../../../integrations/sip/sip.dialog';
import { header, headerValues, type SipMessage, type SipRequest } from '../../../integrations/sip/sip.message';
import type { Inbound } from '../../../integrations/sip/sip.transport';
import { sipTlsFrom } from '../../../integrations/sip/sip.tls';
import { loadConfig } from '../../../lib/config';
import { connectTlsPeer } from '../../support/sip-tls-peer';
import { makeTestPki, type TestCertificate, type TestPki } from '../../support/tls-certs';

let pki: TestPki;
let leaf: TestCertificate;
let wrongName: TestCertificate;
beforeAll(() => {
  pki = makeTestPki();
  leaf = pki.issue('connector', ['DNS:localhost', 'IP:127.0.0.1']);
  wrongName = pki.issue('elsewhere', ['DNS:elsewhere.example']);
});
afterAll(() => pki.remove());

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const warnings: unknown[] = [];
const logger = { warn: (detail: unknown) => warnings.push(detail), info: () => undefined, debug: () => undefined };

/** A user agent with a TLS listener for `cert`; its requests (all of them) are recorded and answered `status`. */
async function listening(cert: TestCertificate, status = 486): Promise<{ agent: SipAgent; requests: { request: SipRequest; inbound: Inbound }[] }> {
  const requests: { request: SipRequest; inbound: Inbound }[] = [];
  const agent = await startSipAgent({
    host: '127.0.0.1',
    port: 0,
    tls: { listen: { cert: cert.cert, key: cert.key, port: 0 } },
    logger,
    onServerRequest: async (request, inbound) => {
      requests.push({ request, inbound });
      if (request.method === 'OPTIONS' || request.method === 'ACK') return false;
      await inbound.reply(buildResponse(request, status, 'Busy Here'));
      return true;
    },
  });
  cleanups.push(() => agent.close());
  return { agent, requests };
}

const options = (n: number, body = '') =>
  `OPTIONS sip:whatsapp@localhost SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:40000;branch=z9hG4bK-opt-${n}\r\nFrom: <sip:meta@wa.meta.vc>;tag=m${n}\r\n` +
  `To: <sip:whatsapp@localhost>\r\nCall-ID: opt-${n}@wa.meta.vc\r\nCSeq: ${n} OPTIONS\r\nMax-Forwards: 70\r\n` +
  `${body ? 'Content-Type: text/plain\r\n' : ''}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const statusOf = (message: unknown) => (message as { status?: number }).status;

describe('the TLS listener (Meta connects to us)', () => {
  test('answers on the connection it came in on, Via SIP/2.0/TLS; several messages in one TLS record are each answered', async () => {
    const { agent } = await listening(leaf);
    expect(agent.local.tlsPort).toBeGreaterThan(0);
    const peer = await connectTlsPeer(agent.local.tlsPort!, pki.ca);
    cleanups.push(async () => peer.close());
    await peer.write(options(1) + options(2) + options(3));
    await peer.next((m) => header(m, 'CSeq') === '3 OPTIONS');
    expect(peer.received.map((m) => [statusOf(m), header(m, 'CSeq')])).toEqual([[200, '1 OPTIONS'], [200, '2 OPTIONS'], [200, '3 OPTIONS']]);
    expect(headerValues(peer.received[0]!, 'Via')[0]).toMatch(/^SIP\/2\.0\/TLS 127\.0\.0\.1:40000;branch=z9hG4bK-opt-1/);
  });

  test('one message split across TLS records (body counted in bytes) is answered once, when its last byte arrives', async () => {
    const { agent, requests } = await listening(leaf);
    const peer = await connectTlsPeer(agent.local.tlsPort!, pki.ca);
    cleanups.push(async () => peer.close());
    const whole = Buffer.from(options(7, 'héllo, agent ✓'));
    const cuts = [0, 25, whole.indexOf('\r\n\r\n') + 2, whole.length - 3, whole.length];
    for (let i = 0; i < cuts.length - 2; i++) {
      await peer.write(whole.subarray(cuts[i], cuts[i + 1]));
      await pause(80);
    }
    expect(peer.received).toHaveLength(0);
    expect(requests).toHaveLength(0);
    await peer.write(whole.subarray(cuts.at(-2), cuts.at(-1)));
    await peer.response(200);
    expect(requests.map((r) => [r.request.body, r.inbound.source.transport])).toEqual([['héllo, agent ✓', 'tls']]);
  });

  test('a client without TLS, and one that does not trust our certificate, are dropped; the listener goes on serving', async () => {
    const { agent, requests } = await listening(leaf);
    warnings.length = 0;
    // Plain SIP over TCP to the TLS port: no handshake, the connection is closed and nothing reaches the agent.
    const plain = connectTcp({ host: '127.0.0.1', port: agent.local.tlsPort! });
    const closed = new Promise((resolve) => plain.once('close', resolve));
    plain.on('error', () => undefined);
    plain.write(options(1));
    await closed;
    // A client that trusts another CA gives up on its side of the handshake.
    const other = makeTestPki();
    cleanups.push(async () => other.remove());
    await expect(connectTlsPeer(agent.local.tlsPort!, other.ca)).rejects.toThrow(/certificate/i);
    // A client whose name the certificate does not cover (Meta checks the configured hostname) does too.
    await expect(connectTlsPeer(agent.local.tlsPort!, pki.ca, 'sip.connector.example.com')).rejects.toThrow(/altnames|does not match/i);
    expect(requests).toHaveLength(0);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    const peer = await connectTlsPeer(agent.local.tlsPort!, pki.ca);
    cleanups.push(async () => peer.close());
    await peer.write(options(9));
    await peer.response(200);
  });

  test("our requests in a call Meta opened a connection for go back on that connection, not to Meta's Contact", async () => {
    const { agent } = await listening(leaf);
    const peer = await connectTlsPeer(agent.local.tlsPort!, pki.ca);
    cleanups.push(async () => peer.close());
    const callId = 'c0ffee@wa.meta.vc';
    await peer.write(options(1).replace('OPTIONS sip:', 'INVITE sip:').replace('1 OPTIONS', '1 INVITE').replace(/Call-ID: .*/, `Call-ID: ${callId}`));
    await peer.response(486);
    // Meta's Contact names a port nothing listens on: a new connection could not carry the BYE.
    const dialog = {
      conversationId: 'wa:1:2', callId, localTag: 'ours', remoteTag: 'm1', localUri: 'sip:whatsapp@localhost', remoteUri: 'sip:meta@wa.meta.vc',
      remoteTarget: 'sip:+15551234567@127.0.0.1:1;transport=tls', routeSet: [], localSeq: 1, transport: 'tls' as const,
    };
    const bye = agent.bye(dialog);
    const request = await peer.next((m) => 'method' in m && m.method === 'BYE');
    expect(header(request, 'Via')).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${agent.local.tlsPort};`));
    await peer.write(`${buildResponseText(request)}`);
    expect(await bye).toEqual({ kind: 'response', status: 200, reason: 'OK' });
    // Once Meta's connection is gone, the next request tries Meta's Contact (and here fails: nothing listens there).
    peer.close();
    await pause(50);
    expect(await agent.bye({ ...dialog, localSeq: 5 })).toMatchObject({ kind: 'transportError' });
  });
});

/** A 200 to a request received by the test peer, as text. */
function buildResponseText(request: SipMessage): string {
  const lines = ['SIP/2.0 200 OK', ...['Via', 'From', 'To', 'Call-ID', 'CSeq'].map((name) => `${name}: ${header(request, name)}`), 'Content-Length: 0'];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

describe('outbound TLS (a `sips:` or `;transport=tls` target such as wa.meta.vc)', () => {
  const invite = (agent: SipAgent, requestUri: string, n: number) =>
    agent.invite({ requestUri, conversationId: 'wa:1:2', callId: `${n}.0.d2E6MToy@whatsapp-connector`, fromUser: '+15550001', extraHeaders: [], timeoutMs: 5_000 });

  test('verifies the server certificate, sends Via SIP/2.0/TLS and a Contact with transport=tls on our TLS port, reuses the connection', async () => {
    const far = await listening(leaf);
    const ours = await startSipAgent({ host: '127.0.0.1', port: 0, tls: { listen: { cert: leaf.cert, key: leaf.key, port: 0 }, ca: [pki.ca] } });
    cleanups.push(() => ours.close());
    const target = `sip:+15551234567@127.0.0.1:${far.agent.local.tlsPort};transport=tls`;
    expect(await invite(ours, target, 1)).toMatchObject({ kind: 'failed', response: { status: 486 } });
    expect(await invite(ours, target, 2)).toMatchObject({ kind: 'failed', response: { status: 486 } });
    const invites = far.requests.filter((r) => r.request.method === 'INVITE');
    expect(invites).toHaveLength(2);
    expect(header(invites[0]!.request, 'Via')).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${ours.local.tlsPort};branch=z9hG4bK`));
    expect(header(invites[0]!.request, 'Contact')).toBe(`<sip:whatsapp@127.0.0.1:${ours.local.tlsPort};transport=tls>`);
    // One connection for both INVITEs and their ACKs (RFC 5923's aim: no new handshake per transaction).
    expect(new Set(far.requests.map((r) => `${r.inbound.source.transport}:${r.inbound.source.port}`)).size).toBe(1);
    expect(far.requests[0]!.inbound.source.transport).toBe('tls');
  });

  test('a certificate not signed by a trusted CA, or not covering the host, fails the INVITE as a transport error: nothing is sent', async () => {
    const far = await listening(leaf);
    const wrong = await listening(wrongName);
    const untrusting = await startSipAgent({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => untrusting.close());
    const trusting = await startSipAgent({ host: '127.0.0.1', port: 0, tls: { ca: [pki.ca] } });
    cleanups.push(() => trusting.close());
    const untrusted = await invite(untrusting, `sip:x@127.0.0.1:${far.agent.local.tlsPort};transport=tls`, 3);
    expect(untrusted).toMatchObject({ kind: 'transportError' });
    const misnamed = await invite(trusting, `sips:x@127.0.0.1:${wrong.agent.local.tlsPort}`, 4);
    expect(misnamed).toMatchObject({ kind: 'transportError' });
    expect(String((misnamed as { error: Error }).error.message)).toMatch(/altnames|does not match/i);
    expect([...far.requests, ...wrong.requests]).toHaveLength(0);
  });
});

describe('selecting TLS and its settings', () => {
  test('sips: and ;transport=tls are TLS on 5061 unless the URI names a port; sips over UDP is refused', () => {
    expect(hopFor('sip:+15551234567@wa.meta.vc;transport=tls', 'udp')).toEqual({ host: 'wa.meta.vc', port: 5061, transport: 'tls' });
    expect(hopFor('sips:+15551234567@wa.meta.vc', 'udp')).toEqual({ host: 'wa.meta.vc', port: 5061, transport: 'tls' });
    expect(hopFor('sips:x@wa.meta.vc:5071;transport=tcp', 'udp')).toEqual({ host: 'wa.meta.vc', port: 5071, transport: 'tls' });
    expect(hopFor('sip:x@cc.example.com', 'udp')).toEqual({ host: 'cc.example.com', port: 5060, transport: 'udp' });
    expect(() => hopFor('sips:x@wa.meta.vc;transport=udp', 'udp')).toThrow(/UDP/);
  });

  test('no settings: no TLS; certificate without key, or an unreadable file, fails naming the setting', () => {
    expect(sipTlsFrom({})).toBeUndefined();
    expect(() => sipTlsFrom({ SIP_TLS_CERT_FILE: leaf.certFile })).toThrow(/SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE/);
    expect(() => sipTlsFrom({ SIP_TLS_CERT_FILE: leaf.certFile, SIP_TLS_KEY_FILE: '/nonexistent/key.pem' })).toThrow(/SIP_TLS_KEY_FILE: cannot read/);
    expect(sipTlsFrom({ SIP_TLS_CERT_FILE: leaf.certFile, SIP_TLS_KEY_FILE: leaf.keyFile, SIP_TLS_CA_FILE: pki.caFile })).toEqual({
      listen: { cert: leaf.cert, key: leaf.key, port: 5061 },
      ca: [pki.ca],
    });
  });

  test('half a certificate pair fails start-up even when SIP is off (no SIP_CONNECTOR_URI)', () => {
    const base = { WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', TEMPORAL_PAYLOAD_KEYS: 'k1:dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=' };
    expect(() => loadConfig(base)).not.toThrow();
    expect(() => loadConfig({ ...base, SIP_TLS_KEY_FILE: leaf.keyFile })).toThrow(/SIP_TLS_CERT_FILE: SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE are set together/);
    expect(() => loadConfig({ ...base, SIP_TLS_CERT_FILE: leaf.certFile })).toThrow(/SIP_TLS_KEY_FILE: /);
  });
});
