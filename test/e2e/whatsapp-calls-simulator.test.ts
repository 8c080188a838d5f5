/**
 * WhatsApp calls with the broker simulator playing Meta's SIP server (not sipp): a simulated customer calls the
 * number's configured SIP server (the connector), answers the digest challenge with the SIP password the simulator
 * generated, and hangs up or CANCELs; sipp plays the contact centre. Meta's `calls` webhooks follow the call when
 * enabled for the number, are stored once however often delivered, and the call shows in the conversation's thread
 * and in the analysts' timeline.
 */
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippMessage, type SippPeer } from '../support/sipp';
import { AGENT_SDP_ANSWER, agentLeg, type AgentLegMode } from '../support/sipp-calls';
import { eventually } from '../support/workflow-env';
import { makeTestPki } from '../support/tls-certs';

const DISPLAY = '12025550109';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

let nextCustomer = 15558000000 + Math.floor(Math.random() * 900_000);
const bodyOf = (m: SippMessage) => m.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').replace(/\r/g, '').trim();
const conversationOf = (customer: string) => `wa:${BUSINESS_NUMBER_ID}:${customer}`;

async function rigWith(mode: AgentLegMode, tls?: { certFile: string; keyFile: string; ca: string }, inviteTimeoutMs?: number): Promise<{ rig: ServiceRig; cc: SippPeer }> {
  const cc = await startSipp({ scenario: 'custom:agent-leg', scenarioXml: agentLeg(mode), transport: 'udp', agent: 'agent-7', timeoutSeconds: 60 });
  cleanups.push(() => cc.stop());
  const sipPort = await findFreePort();
  const tlsPort = tls ? await findFreePort() : undefined;
  const rig = await startService({ sip: { connectorUri: cc.uri, localPort: sipPort, ...(inviteTimeoutMs ? { inviteTimeoutMs } : {}), ...(tls ? { tls: { certFile: tls.certFile, keyFile: tls.keyFile, port: tlsPort! } } : {}) } });
  // Meta speaks TLS only: so does the simulator here, trusting the test CA that signed the connector's certificate.
  if (tls) rig.simulator.sip.useTransport('tls', [tls.ca]);
  cleanups.push(() => rig.stop());
  const draft = { routing: { defaultQueue: 'support', defaultSkill: 'voice', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 2 } } };
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
  const number = { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: `+${DISPLAY}`, verificationMethod: 'sms', ownership: { attestedBy: 'Owner', statement: true } };
  expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
  // The settings go to "Meta" (the simulator) through the connector's API: Meta calls the SIP server they name.
  const settings = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, {
    status: 'ENABLED',
    sip: { status: 'ENABLED', servers: [{ hostname: '127.0.0.1', port: tlsPort ?? sipPort }] },
  });
  expect(settings.status).toBe(200);
  return { rig, cc };
}

async function simulatorCall(rig: ServiceRig, body: Record<string, unknown>) {
  const res = await fetch(`${rig.simulator.url}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- the simulator's control answers
}

const simCall = (rig: ServiceRig, callId: string) => rig.simulator.sip.call(callId)!;

describe('the simulator calls as a WhatsApp user would (Meta SIP server), sipp is the contact centre', () => {
  test('answered, then the customer hangs up: SDP both ways, calls webhooks stored once though delivered twice, the call in thread and timeline', async () => {
    const { rig, cc } = await rigWith('answer');
    const customer = String((nextCustomer += 1));
    await fetch(`${rig.simulator.url}/_sim/calls/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumberId: BUSINESS_NUMBER_ID, enabled: true }) });
    // Every webhook of this call arrives twice (Meta redelivers): connect and terminate are each kept once.
    rig.simulator.injectFault({ kind: 'duplicateWebhooks', times: 2 });
    const placed = await simulatorCall(rig, { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, displayPhoneNumber: DISPLAY, hangUpAfterMs: 1_300 });
    expect(placed.status).toBe(201);
    const callId = placed.body.callId as string;

    const ccReport = await cc.finished();
    expect(ccReport.exitCode).toBe(0);
    const [invite] = ccReport.received('INVITE');
    // Meta's offer reached the contact centre unchanged, with the chats' routing headers.
    expect(bodyOf(invite!)).toBe(simCall(rig, callId).sdp.replace(/\r/g, '').trim());
    expect(bodyOf(invite!)).toMatch(/a=fingerprint:sha-256 [0-9A-F:]{95}\n[\s\S]*a=rtcp-mux\na=rtpmap:111 opus\/48000\/2/);
    expect(invite!.header('X-Conversation-Id')).toBe(conversationOf(customer));
    expect(invite!.header('X-Queue')).toBe('support');
    expect(ccReport.received('BYE')).toHaveLength(1);

    const sim = await eventually(async () => simCall(rig, callId), (c) => c.state === 'ended' && c.statuses.includes(200), 20_000);
    // Challenged once (401), then let in with the number's SIP password; the SBC's answer came back to "Meta".
    expect(sim.statuses[0]).toBe(401);
    expect(sim.statuses.filter((s) => s === 401)).toHaveLength(1);
    expect(sim.remoteSdp!.replace(/\r/g, '').trim()).toBe(AGENT_SDP_ANSWER);
    expect(sim.endedBy).toBe('customer');

    const thread = await eventually(
      () => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationOf(customer))}/messages`),
      (r) => r.status === 200 && r.body.calls?.[0]?.outcome === 'ended' && r.body.calls[0].meta?.status === 'COMPLETED',
      30_000,
    );
    expect(thread.body.messages).toEqual([]);
    expect(thread.body.calls).toHaveLength(1);
    expect(thread.body.calls[0]).toMatchObject({ kind: 'call', callId, wacid: sim.wacid, direction: 'inbound', outcome: 'ended', cause: 'customer_hung_up', agentId: 'agent-7' });
    expect(thread.body.calls[0].durationSeconds).toBeGreaterThanOrEqual(1);
    expect(thread.body.calls[0].meta.durationSeconds).toBeGreaterThanOrEqual(1);
    // Delivered twice each, stored once each.
    await eventually(async () => rig.store.db.collection('call_events').countDocuments({ wacid: sim.wacid }), (n) => n === 2, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await rig.store.db.collection('call_events').countDocuments({ wacid: sim.wacid })).toBe(2);

    const timeline = await rig.requestAs('analyst', 'GET', `/v1/analytics/conversations/${encodeURIComponent(conversationOf(customer))}/timeline`);
    expect(timeline.status).toBe(200);
    expect(timeline.body.calls).toEqual(thread.body.calls);
  }, 120_000);

  test('over TLS, as Meta signals: the certificate checked against the settings\' host, answered, then the customer hangs up', async () => {
    const pki = makeTestPki();
    cleanups.push(async () => pki.remove());
    const leaf = pki.issue('connector', ['IP:127.0.0.1']);
    const { rig, cc } = await rigWith('answer', { certFile: leaf.certFile, keyFile: leaf.keyFile, ca: pki.ca });
    const customer = String((nextCustomer += 1));
    const placed = await simulatorCall(rig, { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, displayPhoneNumber: DISPLAY, hangUpAfterMs: 800 });
    expect(placed.status).toBe(201);
    expect((await cc.finished()).exitCode).toBe(0);
    const sim = await eventually(async () => simCall(rig, placed.body.callId), (c) => c.state === 'ended' && c.statuses.at(-1) === 200, 20_000);
    expect(sim.statuses[0]).toBe(401);
    expect(sim.dialog!.transport).toBe('tls');
    const thread = await eventually(
      () => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationOf(customer))}/messages`),
      (r) => r.body.calls?.[0]?.outcome === 'ended',
      30_000,
    );
    expect(thread.body.calls[0]).toMatchObject({ direction: 'inbound', cause: 'customer_hung_up', agentId: 'agent-7' });
  }, 120_000);

  test('the customer gives up while it rings: CANCEL reaches the contact centre, abandoned; no calls webhooks unless enabled', async () => {
    const { rig, cc } = await rigWith('ring');
    const customer = String((nextCustomer += 1));
    const placed = await simulatorCall(rig, { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, displayPhoneNumber: DISPLAY, cancelAfterMs: 400 });
    expect(placed.status).toBe(201);
    const ccReport = await cc.finished();
    expect(ccReport.exitCode).toBe(0);
    expect(ccReport.received('CANCEL')).toHaveLength(1);
    const sim = await eventually(async () => simCall(rig, placed.body.callId), (c) => c.statuses.includes(487), 20_000);
    expect(sim.state).toBe('cancelled');
    const thread = await eventually(
      () => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationOf(customer))}/messages`),
      (r) => r.body.calls?.[0]?.outcome === 'abandoned',
      30_000,
    );
    expect(thread.body.calls[0]).toMatchObject({ direction: 'inbound', outcome: 'abandoned', cause: 'customer_hung_up' });
    // Webhook delivery for SIP calls was never enabled for the number: Meta sends none, nothing is stored.
    expect(thread.body.calls[0].wacid).toBeUndefined();
    expect(await rig.store.db.collection('call_events').countDocuments({ conversationId: conversationOf(customer) })).toBe(0);
  }, 120_000);

  test("nobody answers: the connector refuses Meta 480, the business ended it, Meta's terminate is FAILED with no start, end or duration; missed in the thread", async () => {
    // The contact centre rings and never answers; the connector gives up after 1.5 s (SIP_INVITE_TIMEOUT_MS).
    const { rig, cc } = await rigWith('ring', undefined, 1_500);
    const customer = String((nextCustomer += 1));
    await fetch(`${rig.simulator.url}/_sim/calls/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumberId: BUSINESS_NUMBER_ID, enabled: true }) });
    const placed = await simulatorCall(rig, { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, displayPhoneNumber: DISPLAY });
    expect(placed.status).toBe(201);
    expect((await cc.finished()).received('CANCEL')).toHaveLength(1);
    const sim = await eventually(async () => simCall(rig, placed.body.callId), (c) => c.finalStatus !== undefined, 20_000);
    // The caller did not hang up: the business answered 480 Temporarily Unavailable.
    expect(sim).toMatchObject({ state: 'failed', finalStatus: 480, endedBy: 'business' });
    expect(sim.answeredAt).toBeUndefined();

    const thread = await eventually(
      () => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationOf(customer))}/messages`),
      // Meta's terminate may arrive before the call's workflow has stored it missed (both follow the same 480).
      (r) => r.status === 200 && r.body.calls?.[0]?.meta?.status === 'FAILED' && r.body.calls[0].outcome !== 'ringing',
      30_000,
    );
    expect(thread.body.calls).toHaveLength(1);
    expect(thread.body.calls[0]).toMatchObject({ kind: 'call', wacid: sim.wacid, direction: 'inbound', outcome: 'missed', cause: 'no_answer', meta: { status: 'FAILED' } });
    // Never connected: no talk time, and Meta reports no start, end or duration for it.
    expect(thread.body.calls[0].durationSeconds).toBeUndefined();
    expect(thread.body.calls[0].meta).toEqual({ status: 'FAILED' });
    const terminate = await rig.store.db.collection('call_events').findOne({ _id: `${sim.wacid}:terminate` } as object);
    expect(terminate).toMatchObject({ event: 'terminate', status: 'FAILED', direction: 'USER_INITIATED' });
    expect(terminate).not.toHaveProperty('startTime');
    expect(terminate).not.toHaveProperty('durationSeconds');
  }, 120_000);

  test("Meta's documented terminate payload, unknown fields and all, is stored once; a redelivery changes nothing", async () => {
    const { rig } = await rigWith('answer');
    const customer = String((nextCustomer += 1));
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA_ID,
          changes: [
            {
              field: 'calls',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: DISPLAY, phone_number_id: BUSINESS_NUMBER_ID },
                contacts: [{ profile: { name: 'Pablo' }, wa_id: customer }],
                calls: [
                  {
                    id: 'wacid.HBgLMTIwMjU1NTAxMDkVAgARGBJBRkU3MkYzQkYzRTRGQjQyAA',
                    to: DISPLAY,
                    from: customer,
                    event: 'terminate',
                    direction: 'USER_INITIATED',
                    biz_opaque_callback_data: 'crm-4711',
                    timestamp: '1764540000',
                    status: 'COMPLETED',
                    start_time: '1764540000',
                    end_time: '1764540093',
                    duration: 93,
                    some_field_meta_adds_later: { nested: true },
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    const first = await rig.simulator.deliverWebhook(body);
    expect(first.finalStatus).toBe(200);
    const again = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': (await import('../../simulator/cloud-api.payloads')).signBody(JSON.stringify(body), 'e2e-app-secret') },
      body: JSON.stringify(body),
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { received: { callEvents: number } }).received.callEvents).toBe(0);
    const thread = await rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationOf(customer))}/messages`);
    expect(thread.status).toBe(200);
    // Meta's report alone (the SIP side never saw this call): outcome from its status, its duration.
    expect(thread.body.calls).toEqual([
      {
        kind: 'call',
        wacid: 'wacid.HBgLMTIwMjU1NTAxMDkVAgARGBJBRkU3MkYzQkYzRTRGQjQyAA',
        direction: 'inbound',
        at: '2025-11-30T22:00:00.000Z',
        outcome: 'completed',
        durationSeconds: 93,
        meta: { status: 'COMPLETED', startTime: '2025-11-30T22:00:00.000Z', endTime: '2025-11-30T22:01:33.000Z', durationSeconds: 93 },
      },
    ]);
  }, 120_000);
});
