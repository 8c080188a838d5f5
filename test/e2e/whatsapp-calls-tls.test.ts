/**
 * A WhatsApp call over SIP TLS, end to end: Meta's SIP servers speak TLS only and check that our certificate covers
 * the hostname configured on the number (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/).
 * The installed sipp is built without TLS, so Node's `tls` client plays Meta on loopback, sending a Meta-shaped
 * INVITE (WebRTC SDP offer, digest answer to our challenge) to the connector's TLS listener; the connector bridges it
 * to sipp playing the contact centre over UDP, on the real Temporal dev server and FerretDB.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { findFreePort } from '../../scripts/dev-servers';
import { header, headerValues, type SipMessage } from '../../integrations/sip/sip.message';
import { parseDigest } from '../../integrations/sip/sip.digest';
import { CALLED, callRig, type CallRig } from '../support/call-rig';
import { BUSINESS_NUMBER_ID } from '../support/service';
import { connectTlsPeer, type TlsSipPeer } from '../support/sip-tls-peer';
import { AGENT_SDP_ANSWER, META_SDP_OFFER, type AgentLegMode } from '../support/sipp-calls';
import { makeTestPki, type TestPki } from '../support/tls-certs';
import { eventually } from '../support/workflow-env';

/** The hostname set in the number's calling settings (call-rig.ts): the one Meta checks our certificate against. */
const CONFIGURED_HOST = 'sip.connector.example.com';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});
let pki: TestPki;
beforeAll(() => (pki = makeTestPki()));
afterAll(() => pki.remove());

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const crlf = (lines: string[], body = '') => `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const bodyOf = (m: SipMessage) => m.body.replace(/\r/g, '').trim();

/** Meta's side of the call, over one TLS connection, as Meta's SIP page shows its requests. */
function metaDialog(peer: TlsSipPeer, customer: string) {
  const requestUri = `sip:${CALLED}@${CONFIGURED_HOST}:5061;transport=tls`;
  const callId = `${randomBytes(12).toString('hex')}@wa.meta.vc`;
  const fromTag = randomBytes(6).toString('hex');
  const via = () => `Via: SIP/2.0/TLS 127.0.0.1:${peer.socket.localPort};branch=z9hG4bK${randomBytes(8).toString('hex')}`;
  const common = (cseq: string, to: string) => [via(), 'Max-Forwards: 70', `From: <sip:+${customer}@wa.meta.vc>;tag=${fromTag}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${cseq}`];
  const sdp = META_SDP_OFFER.split('\n').join('\r\n') + '\r\n';
  const invite = (cseq: number, authorization?: string) =>
    crlf([`INVITE ${requestUri} SIP/2.0`, ...common(`${cseq} INVITE`, `<sip:${CALLED}@${CONFIGURED_HOST}>`),
      `Contact: <sip:+${customer}@127.0.0.1:${peer.socket.localPort};transport=tls>`, ...(authorization ? [`Authorization: ${authorization}`] : []),
      'Content-Type: application/sdp'], sdp);
  return {
    callId,
    invite,
    /** The digest answer to a 401's challenge, with the number's SIP password (RFC 2617, qop=auth). */
    authorization(challenge: string, password: string) {
      const c = parseDigest(challenge)!;
      const username = CALLED.slice(1);
      const cnonce = randomBytes(4).toString('hex');
      const ha1 = md5(`${username}:${c.realm}:${password}`);
      const response = md5(`${ha1}:${c.nonce}:00000001:${cnonce}:auth:${md5(`INVITE:${requestUri}`)}`);
      return `Digest username="${username}", realm="${c.realm}", nonce="${c.nonce}", uri="${requestUri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`;
    },
    failureAck: (to: string) => crlf([`ACK ${requestUri} SIP/2.0`, ...common('1 ACK', to)]),
    ack: (target: string, to: string) => crlf([`ACK ${target} SIP/2.0`, ...common('2 ACK', to)]),
    bye: (target: string, to: string, seconds: number) => crlf([`BYE ${target} SIP/2.0`, ...common('3 BYE', to), `x-wa-meta-call-duration: ${seconds}`]),
  };
}

/** The rig with a TLS listener whose certificate covers the configured hostname, and a customer number. */
async function tlsRig(mode: AgentLegMode) {
  const leaf = pki.issue('connector', [`DNS:${CONFIGURED_HOST}`]);
  const tlsPort = await findFreePort();
  const r = await callRig(mode, (c) => cleanups.push(c), {}, { tls: { certFile: leaf.certFile, keyFile: leaf.keyFile, port: tlsPort } });
  return { r, tlsPort, customer: String(15558000000 + Math.floor(Math.random() * 900_000)) };
}

/** Meta's call over TLS up to the ACK of our 2xx: challenged, answered with the agent's SDP. */
async function answeredOverTls(rig: Awaited<ReturnType<typeof tlsRig>>) {
  const peer = await connectTlsPeer(rig.tlsPort, pki.ca, CONFIGURED_HOST);
  cleanups.push(async () => peer.close());
  const meta = metaDialog(peer, rig.customer);
  await peer.write(meta.invite(1));
  const challenge = await peer.response(401);
  expect(headerValues(challenge, 'Via')[0]).toMatch(/^SIP\/2\.0\/TLS /);
  await peer.write(meta.failureAck(header(challenge, 'To')!));
  await peer.write(meta.invite(2, meta.authorization(header(challenge, 'WWW-Authenticate')!, rig.r.password)));
  const ok = await peer.next((m) => 'status' in m && m.status === 200 && header(m, 'CSeq') === '2 INVITE', 30_000);
  expect(bodyOf(ok)).toBe(AGENT_SDP_ANSWER);
  // Meta sends its in-dialog requests to our Contact: over TLS, on the TLS listener.
  const contact = /<([^>]+)>/.exec(header(ok, 'Contact')!)![1]!;
  expect(contact).toBe(`sip:whatsapp@127.0.0.1:${rig.tlsPort};transport=tls`);
  expect(peer.received.some((m) => 'status' in m && m.status === 180)).toBe(true);
  await peer.write(meta.ack(contact, header(ok, 'To')!));
  return { peer, meta, ok, contact };
}

const callsOf = (rig: CallRig, customer: string) =>
  eventually(() => rig.rig.request('GET', `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}/calls`), (res) => res.body.calls?.[0]?.phase === 'ended', 30_000);

describe('a WhatsApp call over SIP TLS (Node tls as Meta, sipp as the contact centre over UDP)', () => {
  test('failed handshakes change nothing; the call arrives over TLS, is challenged, answered by an agent with the SDP passed through, and the customer hangs up', async () => {
    const rig = await tlsRig('answer');
    const { r, tlsPort, customer } = rig;

    // Plain SIP sent to the TLS port, and a client checking another hostname (as Meta would if the number named
    // one our certificate does not cover): both dropped at the handshake, the worker carries on.
    const plain = connectTcp({ host: '127.0.0.1', port: tlsPort });
    plain.on('error', () => undefined);
    const closed = new Promise((resolve) => plain.once('close', resolve));
    plain.write(metaDialog({ socket: { localPort: 1 } } as TlsSipPeer, customer).invite(1));
    await closed;
    await expect(connectTlsPeer(tlsPort, pki.ca, 'other.example.com')).rejects.toThrow(/altnames|does not match/i);

    const { peer, meta, ok, contact } = await answeredOverTls(rig);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await peer.write(meta.bye(contact, header(ok, 'To')!, 1));
    await peer.next((m) => 'status' in m && m.status === 200 && header(m, 'CSeq') === '3 BYE');

    const cc = await r.cc.finished();
    expect(cc.exitCode).toBe(0);
    const [invite, ...more] = cc.received('INVITE');
    expect(more).toHaveLength(0);
    expect(invite!.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').replace(/\r/g, '').trim()).toBe(META_SDP_OFFER);
    expect(invite!.header('X-Customer-Number')).toBe(customer);
    expect(cc.received('BYE')).toHaveLength(1);

    const calls = await callsOf(r, customer);
    expect(calls.body.calls).toHaveLength(1);
    expect(calls.body.calls[0]).toMatchObject({ callId: meta.callId, phase: 'ended', cause: 'customer_hung_up', agentId: 'agent-1', attempts: 1 });
    const kpis = await r.rig.requestAs('analyst', 'GET', '/v1/calls/kpis');
    expect(kpis.body).toMatchObject({ offered: 1, answered: 1 });
  }, 120_000);

  test("the agent ends the call: our BYE reaches Meta on the TLS connection Meta opened (its Contact's port has no listener)", async () => {
    const rig = await tlsRig('answer-and-hang-up');
    const { peer, meta } = await answeredOverTls(rig);
    const bye = await peer.next((m) => 'method' in m && m.method === 'BYE', 30_000);
    expect(header(bye, 'Call-ID')).toBe(meta.callId);
    expect(headerValues(bye, 'Via')[0]).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${rig.tlsPort};`));
    await peer.write(crlf(['SIP/2.0 200 OK', ...['Via', 'From', 'To', 'Call-ID', 'CSeq'].map((name) => `${name}: ${header(bye, name)}`)]));
    expect((await rig.r.cc.finished()).exitCode).toBe(0);
    expect((await callsOf(rig.r, rig.customer)).body.calls[0]).toMatchObject({ phase: 'ended', cause: 'agent_hung_up', agentId: 'agent-1' });
  }, 120_000);
});
