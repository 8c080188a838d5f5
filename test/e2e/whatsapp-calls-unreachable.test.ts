/**
 * The contact centre cannot be reached (SIP_CONNECTOR_URI over TCP, nothing listening: ECONNREFUSED). Nobody was
 * asked, so it is not "busy": the caller (sipp playing Meta's SIP server) gets 503 with Retry-After within seconds,
 * not minutes of silence then 486, and the stored call says why (`failed`, `contact_centre_unreachable`, one
 * attempt). And a call's attempts are stored as they start, so the API never shows `attempts: 0` while the contact
 * centre is being rung. RFC 3261 §21.5.4 (503), Meta's SIP page:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { findFreePort } from '../../scripts/dev-servers';
import { CALLED, callRig } from '../support/call-rig';
import { BUSINESS_NUMBER_ID } from '../support/service';
import { startSipp } from '../support/sipp';
import { metaCall, type MetaCallEnd } from '../support/sipp-calls';
import { eventually } from '../support/workflow-env';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function metaCalls(sipPort: number, password: string, end: MetaCallEnd) {
  const customer = String(15558000000 + Math.floor(Math.random() * 900_000));
  const meta = await startSipp({
    scenario: 'custom:meta-call',
    scenarioXml: metaCall(end),
    transport: 'udp',
    remote: `127.0.0.1:${sipPort}`,
    service: CALLED,
    keys: { customer },
    auth: { username: CALLED.slice(1), password },
    timeoutSeconds: 30,
  });
  cleanups.push(() => meta.stop());
  return { meta, conversationId: `wa:${BUSINESS_NUMBER_ID}:${customer}` };
}

test('nothing listens on the contact centre\'s TCP port: 503 to Meta at once, the call stored failed with its cause', async () => {
  const closedPort = await findFreePort();
  // The number's routing retries a busy contact centre 3 times (call-rig.ts): an unreachable one must not be.
  const r = await callRig('answer', (c) => cleanups.push(c), {}, { connectorUri: `sip:whatsapp@127.0.0.1:${closedPort};transport=tcp` });
  const started = Date.now();
  const { meta, conversationId } = await metaCalls(r.sipPort, r.password, { refused: 503 });
  const report = await meta.finished();
  const elapsedMs = Date.now() - started;
  const final = report.messages.find((m) => m.direction === 'received' && /^SIP\/2\.0 [3-6]\d\d /.test(m.startLine) && /^2 INVITE/.test(m.header('CSeq') ?? ''));
  expect(final?.startLine).toBe('SIP/2.0 503 Service Unavailable');
  expect(final?.header('Retry-After')).toMatch(/^\d+$/);
  expect(report.exitCode).toBe(0);
  // sipp's start, the digest round trip and one refused connection: seconds, not the minutes of the busy retries.
  expect(elapsedMs).toBeLessThan(8_000);

  const calls = await eventually(
    () => r.rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationId)}/calls`),
    (res) => res.body.calls?.[0]?.phase !== undefined && res.body.calls[0].phase !== 'ringing',
    15_000,
  );
  expect(calls.body.calls[0]).toMatchObject({ phase: 'failed', cause: 'contact_centre_unreachable', attempts: 1 });
  expect(calls.body.calls[0].lastFailure).toMatch(/ECONNREFUSED|transport error/);
}, 90_000);

test('busy, then answered: while it rings the stored call already counts its attempt', async () => {
  const r = await callRig('busy-then-answer', (c) => cleanups.push(c));
  const { meta, conversationId } = await metaCalls(r.sipPort, r.password, 'customer');
  // The first attempt got 486; the workflow waits the retry delay (1 s) before the second: the call is ringing.
  const ringing = await eventually(
    () => r.rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationId)}/calls`),
    (res) => res.body.calls?.[0]?.attempts >= 1 || (res.body.calls?.[0]?.phase ?? 'ringing') !== 'ringing',
    15_000,
  );
  expect(ringing.body.calls[0]).toMatchObject({ phase: 'ringing', attempts: expect.any(Number) });
  expect(ringing.body.calls[0].attempts).toBeGreaterThanOrEqual(1);
  expect((await meta.finished()).exitCode).toBe(0);
  expect((await r.cc.finished()).exitCode).toBe(0);
}, 90_000);
