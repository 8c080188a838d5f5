/**
 * Business-initiated WhatsApp calls end to end. Asking: the call permission request goes out in Meta's shape and the
 * simulator refuses what Meta refuses (shape, 1 a day). The reply: Meta's documented `call_permission_reply` webhook
 * is kept per number and customer with its expiry. Calling: sipp plays the contact centre dialling out and Meta's
 * SIP server (407 digest challenge, then the customer's phone); the call is placed only while permission holds.
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
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Meta's documented `call_permission_reply` webhook (user-call-permissions page), for this number and customer. */
function permissionReplyWebhook(customer: string, reply: Record<string, unknown>, timestamp = nowSeconds(), wamid = `wamid.cpr${customer}${timestamp}`) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '12025550107', phone_number_id: BUSINESS_NUMBER_ID },
              contacts: [{ profile: { name: 'Pablo Morales' }, wa_id: customer }],
              messages: [
                {
                  context: { from: '12025550107', id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCNUQ5RTNBNjBGQTg1MjdBRUQA' },
                  from: customer,
                  id: wamid,
                  timestamp: String(timestamp),
                  interactive: { type: 'call_permission_reply', call_permission_reply: reply },
                  type: 'interactive',
                },
              ],
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

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
async function dial(r: Rig, customer: string, end: DialOutEnd): Promise<SippPeer> {
  const cc = await startSipp({
    scenario: 'custom:cc-dials-out',
    scenarioXml: contactCentreDialsOut(end, 800),
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

describe('asking the customer for call permission', () => {
  let rig: ServiceRig;
  beforeAll(async () => {
    rig = await startService();
  }, 60_000);
  afterAll(async () => rig?.stop());

  test("goes out as Meta's interactive call_permission_request; a second one the same day is refused by WhatsApp (138009)", async () => {
    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'can you call me?' });
    await eventually(() => rig.request('GET', `/v1/conversations/${conversation(customer)}`), (r) => r.body.state === 'openSession');
    const ask = { message: { type: 'callPermissionRequest', body: 'We would like to call you about order ON-12853.' } };
    expect((await rig.request('POST', `/v1/conversations/${conversation(customer)}/messages`, ask)).status).toBe(202);
    const [sent] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1);
    expect(sent!.body).toMatchObject({ messaging_product: 'whatsapp', recipient_type: 'individual', to: customer, type: 'interactive' });
    expect(sent!.body.interactive).toEqual({ type: 'call_permission_request', body: { text: 'We would like to call you about order ON-12853.' }, action: { name: 'call_permission_request' } });
    expect((await rig.request('POST', `/v1/conversations/${conversation(customer)}/messages`, ask)).status).toBe(202);
    const thread = await eventually(
      () => rig.request('GET', `/v1/conversations/${conversation(customer)}/messages`),
      (r) => r.body.messages?.some((m: { status?: string }) => m.status === 'failed'),
      30_000,
    );
    const failed = thread.body.messages.find((m: { status?: string }) => m.status === 'failed');
    expect(failed).toMatchObject({ direction: 'outbound', failure: { code: 138009 } });
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(1);
  }, 60_000);

  test("the simulator refuses a request that is not Meta's shape, with Meta's error body, and serves GET call_permissions", async () => {
    const customer = newCustomer();
    const post = (interactive: unknown) =>
      fetch(`${rig.simulator.url}/v24.0/${BUSINESS_NUMBER_ID}/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer e2e-token', 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: customer, type: 'interactive', interactive }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: number; message: string; fbtrace_id?: string } } }));
    const noBody = await post({ type: 'call_permission_request', action: { name: 'call_permission_request' } });
    expect(noBody).toMatchObject({ status: 400, body: { error: { code: 131008, message: expect.stringContaining('interactive.body.text'), fbtrace_id: expect.any(String) } } });
    const wrongAction = await post({ type: 'call_permission_request', body: { text: 'May we call?' }, action: { name: 'send_location' } });
    expect(wrongAction).toMatchObject({ status: 400, body: { error: { code: 131009, message: expect.stringContaining('interactive.action.name') } } });
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(0);
    // Neither counted: a well-formed one still goes.
    expect((await post({ type: 'call_permission_request', body: { text: 'May we call?' }, action: { name: 'call_permission_request' } })).status).toBe(200);
    await rig.simulator.replyToCallPermission({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, response: 'accept' });
    const got = await fetch(`${rig.simulator.url}/v24.0/${BUSINESS_NUMBER_ID}/call_permissions?user_wa_id=${customer}`, { headers: { authorization: 'Bearer e2e-token' } }).then((r) => r.json());
    expect(got).toMatchObject({
      permission: { status: 'granted', expiration_time: expect.any(Number) },
      actions: [
        { action_name: 'send_call_permission_request', can_perform_action: false, limits: [{ time_period: 'PT24H', max_allowed: 1, current_usage: 1 }, { time_period: 'P7D', max_allowed: 2, current_usage: 1 }] },
        { action_name: 'start_call', can_perform_action: true },
      ],
    });
  }, 60_000);
});

describe("the customer's reply (call_permission_reply webhook)", () => {
  let rig: ServiceRig;
  beforeAll(async () => {
    rig = await startService();
  }, 60_000);
  afterAll(async () => rig?.stop());

  test('is kept with its expiry, shown in the thread, and a later reply replaces it whatever order they arrive in', async () => {
    const customer = newCustomer();
    const path = `/v1/conversations/${conversation(customer)}/call-permission`;
    expect((await rig.request('GET', path)).body).toMatchObject({ state: 'none', canCall: false, refusal: { code: 'call_permission_required' } });
    const at = nowSeconds() - 60;
    const expires = at + 7 * 86_400;
    await grant(rig, customer, { response: 'accept', is_permanent: false, expiration_timestamp: expires, response_source: 'user_action' }, at);
    const granted = await eventually(() => rig.request('GET', path), (r) => r.body.state === 'granted');
    expect(granted.body).toMatchObject({
      canCall: true,
      response: 'accept',
      isPermanent: false,
      expiresAt: new Date(expires * 1000).toISOString(),
      responseSource: 'user_action',
      limits: { connectedCallsPer24h: 100, unansweredCallsToRevoke: 4, permissionRequestsPer24h: 1, permissionRequestsPer7d: 2 },
    });
    const thread = await rig.request('GET', `/v1/conversations/${conversation(customer)}/messages`);
    const shown = thread.body.messages.find((m: { callPermissionReply?: unknown }) => m.callPermissionReply);
    expect(shown).toMatchObject({ direction: 'inbound', event: true, callPermissionReply: { response: 'accept', isPermanent: false, expiresAt: new Date(expires * 1000).toISOString(), responseSource: 'user_action' } });
    // The customer declines later; an older acceptance delivered after that changes nothing.
    await grant(rig, customer, { response: 'reject', is_permanent: false, response_source: 'user_action' }, at + 30);
    await eventually(() => rig.request('GET', path), (r) => r.body.state === 'rejected');
    await grant(rig, customer, { response: 'accept', is_permanent: true, response_source: 'user_action' }, at + 10);
    await new Promise((r) => setTimeout(r, 500));
    expect((await rig.request('GET', path)).body).toMatchObject({ state: 'rejected', canCall: false, refusal: { code: 'call_permission_required' } });
  }, 60_000);
});

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
});
