/**
 * Business-initiated WhatsApp calls end to end: sipp plays the contact centre dialling out and Meta's SIP server
 * (407 digest challenge, then the customer's phone); the call is placed only while the customer's permission holds
 * and Meta's limits allow it (the permission itself: whatsapp-call-permissions.test.ts).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/
 */
import { createHash } from 'node:crypto';
import { findFreePort } from '../../scripts/dev-servers';
import { parseDigest } from '../../integrations/sip/sip.digest';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippMessage, type SippPeer } from '../support/sipp';
import { META_SDP_ANSWER, SBC_SDP_OFFER, contactCentreDialsOut, metaTakesBusinessCall, type DialOutEnd, type MetaTakesEnd } from '../support/sipp-business-calls';
import { eventually } from '../support/workflow-env';
import { nowSeconds, permissionReplyWebhook } from '../support/call-permission-payloads';
import { saveCall } from '../../store/calls.store';
import { keepHistory } from '../support/histories';

const DISPLAY_NUMBER = '+1 202 555 0107';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

let nextCustomer = 15558000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((nextCustomer += 1));
const conversation = (customer: string) => encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`);
const bodyOf = (m: SippMessage) => m.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').replace(/\r/g, '').trim();

interface Rig {
  rig: ServiceRig;
  meta: SippPeer;
  ccPort: number;
  sipPort: number;
  password: string;
}

/** The service with sipp as Meta's SIP server, the contact centre's port reserved; a number with calling on. */
async function businessCallRig(meta: MetaTakesEnd | 'nothing'): Promise<Rig> {
  const metaPeer = await startSipp({
    scenario: 'custom:meta-takes-call',
    scenarioXml: metaTakesBusinessCall(meta === 'nothing' ? 'customer' : meta),
    transport: 'udp',
    timeoutSeconds: meta === 'nothing' ? 20 : 60,
  });
  cleanups.push(() => metaPeer.stop());
  const sipPort = await findFreePort();
  // The contact centre's sipp: its port is the connector URI's (its INVITEs come from there), it calls our SIP port.
  const ccPort = await findFreePort();
  const rig = await startService({
    sip: { connectorUri: `sip:queue@127.0.0.1:${ccPort}`, localPort: sipPort, meta: { host: '127.0.0.1', port: metaPeer.port, transport: 'udp' } },
  });
  cleanups.push(() => rig.stop());
  expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: DISPLAY_NUMBER, verificationMethod: 'sms', ownership: { attestedBy: 'Test Owner', statement: true } })).status).toBe(201);
  const settings = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, {
    status: 'ENABLED',
    sip: { status: 'ENABLED', servers: [{ hostname: 'sip.connector.example.com', port: 5061 }] },
  });
  expect(settings.status).toBe(200);
  return { rig, meta: metaPeer, ccPort, sipPort, password: rig.simulator.callingSettings(BUSINESS_NUMBER_ID)!.sipPassword! };
}

/** The agent dials the customer: the contact centre's sipp INVITEs the connector from the connector URI's port. */
async function dial(r: Rig, customer: string, end: DialOutEnd, agentLine?: string): Promise<SippPeer> {
  const cc = await startSipp({
    scenario: 'custom:cc-dials-out',
    scenarioXml: contactCentreDialsOut(end, 800, agentLine),
    transport: 'udp',
    port: r.ccPort,
    remote: `127.0.0.1:${r.sipPort}`,
    agent: 'agent-1',
    keys: { customer },
    timeoutSeconds: 60,
  });
  cleanups.push(() => cc.stop());
  return cc;
}

/** RFC 2617 §3.2.2, written out here (not the connector's code): the response a digest answer must carry. */
function expectedDigest(p: Record<string, string>, password: string, method: string): string {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  return md5(`${md5(`${p.username}:${p.realm}:${password}`)}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${md5(`${method}:${p.uri}`)}`);
}

async function grant(rig: ServiceRig, customer: string, reply: Record<string, unknown>, timestamp?: number) {
  const delivery = await rig.simulator.deliverWebhook(permissionReplyWebhook(customer, reply, timestamp));
  expect(delivery.finalStatus).toBe(200);
}

describe('an agent calls the customer (sipp as the contact centre and as Meta)', () => {
  test("with permission: Meta's 407 is answered with the number's credentials, the SDP passes both ways, the customer hangs up", async () => {
    const customer = newCustomer();
    const r = await businessCallRig('customer');
    await grant(r.rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' });
    await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (res) => res.body.canCall === true);
    const cc = await dial(r, customer, 'customer');
    const [ccReport, metaReport] = [await cc.finished(), await r.meta.finished()];
    expect(metaReport.exitCode).toBe(0);
    expect(ccReport.exitCode).toBe(0);

    const [first, second, ...more] = metaReport.received('INVITE');
    expect(more).toHaveLength(0);
    expect(first!.startLine).toBe(`INVITE sip:+${customer}@127.0.0.1:${r.meta.port};transport=udp SIP/2.0`);
    expect(first!.header('From')).toMatch(/^<sip:\+12025550107@sip\.connector\.example\.com>;tag=/);
    expect(bodyOf(first!)).toBe(SBC_SDP_OFFER);
    const credentials = parseDigest(second!.header('Proxy-Authorization'))!;
    expect(credentials).toMatchObject({ username: '+12025550107', realm: 'wa.meta.vc', uri: `sip:+${customer}@127.0.0.1:${r.meta.port};transport=udp`, qop: 'auth' });
    expect(credentials.response).toBe(expectedDigest(credentials, r.password, 'INVITE'));
    expect(second!.header('CSeq')).toBe('2 INVITE');
    const answer = ccReport.messages.find((m) => m.direction === 'received' && m.startLine === 'SIP/2.0 200 OK');
    expect(bodyOf(answer!)).toBe(META_SDP_ANSWER);
    expect(ccReport.received('BYE')).toHaveLength(1);

    const calls = await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`), (res) => res.body.calls?.[0]?.phase === 'ended', 30_000);
    expect(calls.body.calls[0]).toMatchObject({ direction: 'business_initiated', phase: 'ended', cause: 'customer_hung_up', agentId: 'agent-1', customerNumber: customer });
    await keepHistory('call-business-initiated-answered', r.rig.temporal.workflow.getHandle(`call:${calls.body.calls[0].callId}`));
    const kpis = await r.rig.requestAs('analyst', 'GET', '/v1/calls/kpis');
    expect(kpis.body).toMatchObject({ offered: 1, answered: 1, businessInitiated: { placed: 1, answered: 1, missed: 0 } });
    expect((await r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`)).body).toMatchObject({ connectedCallsLast24h: 1, canCall: true });
  }, 90_000);

  test("the customer answering opens their service window (Meta's Calling API pricing page)", async () => {
    const customer = newCustomer();
    const r = await businessCallRig('customer');
    // A permanent permission given two days ago: the reply opened a window then (it is the user's message), long
    // closed now; no window before the call.
    await grant(r.rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' }, nowSeconds() - 2 * 86_400);
    await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (res) => res.body.canCall === true);
    await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}`), (res) => res.status === 200 && res.body.state === 'expiredNeedsTemplate');

    const dialledAt = Date.now();
    const cc = await dial(r, customer, 'customer');
    expect((await cc.finished()).exitCode).toBe(0);
    const calls = await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`), (res) => res.body.calls?.[0]?.phase === 'ended', 30_000);
    const endedBy = Date.now();
    await keepHistory('call-business-initiated-answered-opens-window', r.rig.temporal.workflow.getHandle(`call:${calls.body.calls[0].callId}`));
    const open = await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}`), (res) => res.body.state === 'openSession');
    // Open for 24 h from the answer, which came between the dialling and the end of the call.
    const calledAt = Date.parse(open.body.lastCalledAt);
    expect(calledAt).toBeGreaterThanOrEqual(dialledAt);
    expect(calledAt).toBeLessThanOrEqual(endedBy);
    expect(open.body).toMatchObject({ windowOpen: true, windowClosesAt: new Date(calledAt + 24 * 3600 * 1000).toISOString() });
    const reply = await r.rig.request('POST', `/v1/conversations/${conversation(customer)}/messages`, { message: { type: 'text', text: 'Thanks for taking our call' } });
    expect(reply.status).toBe(202);
    const textOf = (m: { body: Record<string, unknown> }) => (m.body.text as { body?: string } | undefined)?.body;
    await eventually(async () => r.rig.simulator.sent().filter((m) => m.to === customer && textOf(m) === 'Thanks for taking our call'), (sent) => sent.length === 1);
  }, 90_000);

  test('without permission: 403 with a Reason naming call_permission_required, and nothing reaches Meta', async () => {
    const customer = newCustomer();
    const r = await businessCallRig('nothing');
    const ccReport = await (await dial(r, customer, { refused: 403, reason: 'call_permission_required' })).finished();
    expect(ccReport.exitCode).toBe(0);
    const refusal = ccReport.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('SIP/2.0 403'));
    expect(refusal!.header('Reason')).toMatch(/^SIP;cause=403;text=".*has not answered a call permission request/);
    const metaReport = await r.meta.finished();
    expect(metaReport.messages).toHaveLength(0);
    expect((await r.rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`)).body.calls).toEqual([]);
  }, 90_000);

  test.each([
    ['an empty X-Agent-Id', 'X-Agent-Id: ', 'X-Agent-Id is empty'],
    ['an X-Agent-Id that is no agent id', 'X-Agent-Id: agent one; drop', 'X-Agent-Id is not an agent id'],
  ])('%s: 400 with a Reason naming the header, nothing reaches Meta, no call is recorded', async (_what, agentLine, reason) => {
    const customer = newCustomer();
    const r = await businessCallRig('nothing');
    await grant(r.rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' });
    await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (res) => res.body.canCall === true);
    const ccReport = await (await dial(r, customer, { refused: 400, reason: reason }, agentLine)).finished();
    expect(ccReport.exitCode).toBe(0);
    const refusal = ccReport.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('SIP/2.0 400'));
    expect(refusal!.header('Reason')).toMatch(/^SIP;cause=400;text="invalid_request: X-Agent-Id /);
    expect((await r.meta.finished()).messages).toHaveLength(0);
    expect((await r.rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`)).body.calls).toEqual([]);
  }, 90_000);

  /**
   * A person the business blocked cannot be called, as they cannot be messaged ("Your business cannot message the
   * user. Attempts to message a blocked user return an error", block-users page; WhatsApp refuses the call too,
   * simulator/meta-sip.answer.ts): the connector refuses up front, as it refuses sends with customer_blocked.
   */
  test('a person the business blocked: 403 with a Reason naming customer_blocked though they gave permission, nothing reaches Meta', async () => {
    const customer = newCustomer();
    const r = await businessCallRig('nothing');
    // Their permission reply is their message: it opens the window the Block Users API asks for.
    await grant(r.rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' });
    await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (res) => res.body.canCall === true);
    const blocked = await eventually(() => r.rig.requestAs('supervisor', 'POST', `/v1/conversations/${conversation(customer)}/block`), (res) => res.status !== 404, 15_000);
    expect(blocked).toMatchObject({ status: 200, body: { blocked: true } });
    const ccReport = await (await dial(r, customer, { refused: 403, reason: 'customer_blocked' })).finished();
    expect(ccReport.exitCode).toBe(0);
    const refusal = ccReport.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('SIP/2.0 403'));
    expect(refusal!.header('Reason')).toMatch(/^SIP;cause=403;text="customer_blocked: /);
    expect((await r.meta.finished()).messages).toHaveLength(0);
    expect((await r.rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`)).body.calls).toEqual([]);
  }, 90_000);

  test('permission expired: refused the same way, nothing reaches Meta', async () => {
    const customer = newCustomer();
    const r = await businessCallRig('nothing');
    const at = nowSeconds() - 8 * 86_400;
    await grant(r.rig, customer, { response: 'accept', is_permanent: false, expiration_timestamp: at + 7 * 86_400, response_source: 'user_action' }, at);
    await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (res) => res.body.state === 'expired');
    expect((await (await dial(r, customer, { refused: 403, reason: 'expired' })).finished()).exitCode).toBe(0);
    expect((await r.meta.finished()).messages).toHaveLength(0);
  }, 90_000);

  test('the customer declines: 603 relayed to the agent, counted missed; the fourth unanswered call in a row revokes the permission', async () => {
    const customer = newCustomer();
    const r = await businessCallRig('decline');
    const grantedAt = nowSeconds() - 3_600;
    await grant(r.rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' }, grantedAt);
    // Three earlier calls since the grant went unanswered.
    for (const minutesAgo of [50, 40, 30]) {
      const at = Date.now() - minutesAgo * 60_000;
      await saveCall(
        r.rig.store,
        { callId: `earlier-${customer}-${minutesAgo}`, conversationId: `wa:${BUSINESS_NUMBER_ID}:${customer}`, businessNumberId: BUSINESS_NUMBER_ID, customerNumber: customer, direction: 'business_initiated', phase: 'missed', cause: 'no_answer', offeredAt: at, attempts: 1, queue: '' },
        new Date(at),
      );
    }
    await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (res) => res.body.consecutiveUnanswered === 3 && res.body.canCall === true);
    expect((await (await dial(r, customer, { refused: 603, reason: '' })).finished()).exitCode).toBe(0);
    expect((await r.meta.finished()).exitCode).toBe(0);
    const calls = await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`), (res) => res.body.calls?.at(-1)?.phase === 'missed', 30_000);
    expect(calls.body.calls.at(-1)).toMatchObject({ direction: 'business_initiated', phase: 'missed', cause: 'rejected', lastFailure: '603 Decline', agentId: 'agent-1' });
    await keepHistory('call-business-initiated-declined', r.rig.temporal.workflow.getHandle(`call:${calls.body.calls.at(-1).callId}`));
    expect((await r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`)).body).toMatchObject({ state: 'revoked', consecutiveUnanswered: 4, canCall: false, refusal: { code: 'call_permission_required' } });
    expect((await (await dial(r, customer, { refused: 403, reason: 'revoke' })).finished()).exitCode).toBe(0);
  }, 90_000);

  test('the agent ends the call: Meta gets our BYE, counted agent_hung_up', async () => {
    const customer = newCustomer();
    const r = await businessCallRig('agent');
    await grant(r.rig, customer, { response: 'accept', is_permanent: false, expiration_timestamp: nowSeconds() + 86_400, response_source: 'automatic' });
    await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (res) => res.body.canCall === true);
    expect((await (await dial(r, customer, 'agent')).finished()).exitCode).toBe(0);
    const meta = await r.meta.finished();
    expect(meta.exitCode).toBe(0);
    expect(meta.received('BYE')).toHaveLength(1);
    const calls = await eventually(() => r.rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`), (res) => res.body.calls?.[0]?.phase === 'ended', 30_000);
    expect(calls.body.calls[0]).toMatchObject({ direction: 'business_initiated', cause: 'agent_hung_up' });
  }, 90_000);

  test('100 connected calls to the customer in 24 hours: the next is answered 480 with Retry-After, nothing reaches Meta', async () => {
    const customer = newCustomer();
    const r = await businessCallRig('nothing');
    await grant(r.rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' }, nowSeconds() - 2 * 86_400);
    const oldest = Date.now() - 23 * 3_600_000;
    for (let i = 0; i < 100; i++) {
      const at = oldest + i * 60_000;
      await saveCall(
        r.rig.store,
        { callId: `connected-${customer}-${i}`, conversationId: `wa:${BUSINESS_NUMBER_ID}:${customer}`, businessNumberId: BUSINESS_NUMBER_ID, customerNumber: customer, direction: 'business_initiated', phase: 'ended', cause: 'customer_hung_up', offeredAt: at, answeredAt: at + 5_000, attempts: 1, queue: '' },
        new Date(at),
      );
    }
    const cc = await (await dial(r, customer, { refused: 480, reason: 'call_limit_reached' })).finished();
    expect(cc.exitCode).toBe(0);
    const refusal = cc.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('SIP/2.0 480'));
    const retryAfter = Number(refusal!.header('Retry-After'));
    expect(retryAfter).toBeGreaterThan(3_500);
    expect(retryAfter).toBeLessThanOrEqual(3_605);
    expect((await r.meta.finished()).messages).toHaveLength(0);
  }, 90_000);
});
