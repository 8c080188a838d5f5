/**
 * WhatsApp calls into the contact centre, end to end: sipp plays Meta's SIP server (placing the user's call, with
 * a WebRTC SDP offer, answering our digest challenge) and a second sipp the contact centre's SIP connector; the
 * real Temporal dev server and FerretDB run the connector. Every test checks both sipp traces (and sipp's own
 * scenario checks: exit code 0) and the call as the API shows it.
 */
import { CALLED, DISPLAY_NUMBER, callRig as startCallRig, type CallRig } from '../support/call-rig';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippMessage, type SippPeer } from '../support/sipp';
import { AGENT_SDP_ANSWER, AGENT_SDP_HOLD, META_SDP_HOLD, META_SDP_OFFER, metaCall, type AgentLegMode, type MetaCallEnd } from '../support/sipp-calls';
import { eventually } from '../support/workflow-env';
import { keepHistory } from '../support/histories';
import { createSocket } from 'node:dgram';
import { findFreePort } from '../../scripts/dev-servers';


const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

let nextCustomer = 15559000000 + Math.floor(Math.random() * 900_000);
const bodyOf = (m: SippMessage) => m.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').replace(/\r/g, '').trim();

/** The service, a number with calling on, and sipp as the contact centre (test/support/call-rig.ts). */
const callRig = (mode: AgentLegMode, calling: Record<string, unknown> = {}): Promise<CallRig> => startCallRig(mode, (c) => cleanups.push(c), calling);

async function customerCalls(r: CallRig, end: MetaCallEnd, talkMs = 500, hold = false): Promise<{ meta: SippPeer; customer: string }> {
  const customer = String((nextCustomer += 1));
  const meta = await startSipp({
    scenario: 'custom:meta-call',
    scenarioXml: metaCall(end, talkMs, { hold }),
    transport: 'udp',
    remote: `127.0.0.1:${r.sipPort}`,
    service: CALLED,
    keys: { customer },
    auth: { username: CALLED.slice(1), password: r.password },
    timeoutSeconds: 60,
  });
  cleanups.push(() => meta.stop());
  return { meta, customer };
}

const conversationOf = (customer: string) => `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const callsOf = (rig: ServiceRig, customer: string) => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationOf(customer))}/calls`);

async function settled(rig: ServiceRig, customer: string, phase: string, history?: string) {
  const r = await eventually(() => callsOf(rig, customer), (res) => res.body.calls?.[0]?.phase === phase, 30_000);
  const call = r.body.calls[0];
  if (history) {
    const handle = rig.temporal.workflow.getHandle(`call:${call.callId}`);
    await handle.result();
    await keepHistory(history, handle);
  }
  return call;
}

describe('a WhatsApp user calls the business (sipp as Meta and as the contact centre)', () => {
  test('an agent answers: the SDP passes through both ways, the chats\' routing headers ride the INVITE, the customer hangs up', async () => {
    const r = await callRig('answer');
    const { meta, customer } = await customerCalls(r, 'customer', 1_200);
    const [metaReport, ccReport] = [await meta.finished(), await r.cc.finished()];
    expect(metaReport.exitCode).toBe(0);
    expect(ccReport.exitCode).toBe(0);

    const [invite, ...more] = ccReport.received('INVITE');
    expect(more).toHaveLength(0);
    expect(bodyOf(invite!)).toBe(META_SDP_OFFER);
    expect(invite!.header('Content-Type')).toBe('application/sdp');
    expect(invite!.header('X-Queue')).toBe('sales');
    expect(invite!.header('X-Skill')).toBe('voice');
    expect(invite!.header('X-Conversation-Id')).toBe(conversationOf(customer));
    expect(invite!.header('X-Customer-Number')).toBe(customer);
    expect(invite!.header('X-Business-Number')).toBe(CALLED.slice(1));
    // The caller as Meta named it (E.164 with +): the agent desktop shows the WhatsApp user calling.
    expect(invite!.header('From')).toMatch(new RegExp(`^<sip:\\+${customer}@`));
    const answer = metaReport.messages.find((m) => m.direction === 'received' && m.startLine === 'SIP/2.0 200 OK' && /INVITE/.test(m.header('CSeq') ?? ''));
    expect(bodyOf(answer!)).toBe(AGENT_SDP_ANSWER);
    // Our BYE to the agent's leg followed the customer's.
    expect(ccReport.received('BYE')).toHaveLength(1);

    const call = await settled(r.rig, customer, 'ended', 'call-answered-customer-hangs-up');
    expect(call).toMatchObject({ phase: 'ended', cause: 'customer_hung_up', agentId: 'agent-1', queue: 'sales', skill: 'voice', attempts: 1 });
    expect(call.talkSeconds).toBeGreaterThanOrEqual(1);
    expect(call.waitSeconds).toBeGreaterThanOrEqual(0);
    const kpis = await r.rig.requestAs('analyst', 'GET', '/v1/calls/kpis');
    expect(kpis.body).toMatchObject({ offered: 1, answered: 1, missed: 0, abandoned: 0, totalTalkSeconds: call.talkSeconds });
  }, 90_000);

  test('Meta puts the call on hold: the re-INVITE reaches the agent leg with its SDP, the answer comes back', async () => {
    const r = await callRig('answer-hold');
    const { meta, customer } = await customerCalls(r, 'customer', 300, true);
    const [metaReport, ccReport] = [await meta.finished(), await r.cc.finished()];
    expect(metaReport.exitCode).toBe(0);
    expect(ccReport.exitCode).toBe(0);
    const [first, again] = ccReport.received('INVITE');
    expect(bodyOf(again!)).toBe(META_SDP_HOLD);
    expect(again!.header('Call-ID')).toBe(first!.header('Call-ID'));
    const holdAnswer = metaReport.messages.filter((m) => m.direction === 'received' && m.startLine === 'SIP/2.0 200 OK' && /INVITE/.test(m.header('CSeq') ?? ''));
    expect(bodyOf(holdAnswer.at(-1)!)).toBe(AGENT_SDP_HOLD);
    // The BYE's CSeq is above the relayed re-INVITE's in the agent's dialog.
    expect(Number.parseInt(ccReport.received('BYE')[0]!.header('CSeq')!, 10)).toBeGreaterThan(Number.parseInt(again!.header('CSeq')!, 10));
    expect(await settled(r.rig, customer, 'ended')).toMatchObject({ cause: 'customer_hung_up' });
  }, 90_000);

  test('the agent ends the call: the customer gets our BYE', async () => {
    const r = await callRig('answer-and-hang-up');
    const { meta, customer } = await customerCalls(r, 'agent');
    expect((await meta.finished()).exitCode).toBe(0);
    expect((await r.cc.finished()).exitCode).toBe(0);
    expect(await settled(r.rig, customer, 'ended')).toMatchObject({ cause: 'agent_hung_up', agentId: 'agent-1' });
  }, 90_000);

  test('the customer hangs up while it rings: 487 to Meta, CANCEL to the contact centre, counted abandoned', async () => {
    const r = await callRig('ring');
    const { meta, customer } = await customerCalls(r, 'cancel');
    expect((await meta.finished()).exitCode).toBe(0);
    const cc = await r.cc.finished();
    expect(cc.exitCode).toBe(0);
    expect(cc.received('CANCEL')).toHaveLength(1);
    const call = await settled(r.rig, customer, 'abandoned', 'call-abandoned-while-ringing');
    expect(call).toMatchObject({ cause: 'customer_hung_up' });
    expect(call.agentId).toBeUndefined();
  }, 90_000);

  test('busy, then answered: a second INVITE after the retry delay, the caller still ringing', async () => {
    const r = await callRig('busy-then-answer');
    const { meta, customer } = await customerCalls(r, 'customer');
    expect((await meta.finished()).exitCode).toBe(0);
    const cc = await r.cc.finished();
    expect(cc.exitCode).toBe(0);
    const invites = cc.received('INVITE');
    expect(invites).toHaveLength(2);
    expect(invites[0]!.header('Call-ID')).not.toBe(invites[1]!.header('Call-ID'));
    expect(await settled(r.rig, customer, 'ended', 'call-busy-then-answered')).toMatchObject({ attempts: 2, agentId: 'agent-1', lastFailure: '486 Busy Here' });
  }, 90_000);

  test('outside call hours: 480 to Meta, nothing rings in the contact centre, counted missed', async () => {
    // Open every day, but today is a holiday (closed all day).
    const today = new Date().toISOString().slice(0, 10);
    const r = await callRig('answer', {
      call_hours: {
        status: 'ENABLED',
        timezone_id: 'UTC',
        weekly_operating_hours: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((day_of_week) => ({ day_of_week, open_time: '0000', close_time: '2359' })),
        holiday_schedule: [{ date: today, start_time: '0000', end_time: '2359' }],
      },
    });
    const { meta, customer } = await customerCalls(r, { refused: 480 });
    expect((await meta.finished()).exitCode).toBe(0);
    // No attempt: the contact centre was never offered the call.
    expect(await settled(r.rig, customer, 'missed')).toMatchObject({ cause: 'outside_call_hours', attempts: 0 });
  }, 90_000);
});

describe("a number's calling settings", () => {
  const number = { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: DISPLAY_NUMBER, verificationMethod: 'sms', ownership: { attestedBy: 'Owner', statement: true } };
  const calling = {
    status: 'ENABLED',
    call_icon_visibility: 'DEFAULT',
    call_hours: { status: 'ENABLED', timezone_id: 'America/Manaus', weekly_operating_hours: [{ day_of_week: 'MONDAY', open_time: '0400', close_time: '1020' }], holiday_schedule: [{ date: '2026-01-01', start_time: '0000', end_time: '2359' }] },
    callback_permission_status: 'ENABLED',
    sip: { status: 'ENABLED', servers: [{ hostname: 'sip.connector.example.com', port: 5061, request_uri_user_params: { tgrp: 'wacall' } }] },
  };

  test('are pushed to Meta as given, read back with the SIP password Meta generated, which the API never shows', async () => {
    const rig = await startService();
    cleanups.push(() => rig.stop());
    expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
    const put = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, calling);
    expect(put.status).toBe(200);
    expect(rig.simulator.callingSettings(BUSINESS_NUMBER_ID)?.calling).toEqual(calling);
    const got = await rig.requestAs('supervisor', 'GET', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`);
    expect(got.body).toMatchObject({ phoneNumberId: BUSINESS_NUMBER_ID, calling, sipCredentials: true });
    expect(JSON.stringify(got.body)).not.toContain(rig.simulator.callingSettings(BUSINESS_NUMBER_ID)!.sipPassword!);
  }, 60_000);

  test('keeps challenging calls while Meta holds a SIP server the body left out, and refuses an INVITE for a number Meta holds no SIP password for', async () => {
    const sipPort = await findFreePort();
    const rig = await startService({ sip: { connectorUri: 'sip:queue@127.0.0.1:9', localPort: sipPort } });
    cleanups.push(() => rig.stop());
    expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
    // Calling on, but no SIP server at Meta: Meta would not send SIP calls, so an INVITE is nobody's we know.
    expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, { status: 'ENABLED' })).body.sipCredentials).toBe(false);
    const answer = await inviteOnce(sipPort, CALLED);
    expect(answer).toMatch(/^SIP\/2\.0 403 No SIP Credentials/);
    expect((await rig.requestAs('supervisor', 'GET', '/v1/calls/kpis')).body.offered).toBe(0);
    const backwards = await rig.requestAs('supervisor', 'GET', '/v1/calls/kpis?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z');
    expect(backwards).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ in: 'query', path: 'from' }] } });

    // Meta merges a settings POST: after one naming the SIP server, one that leaves it out keeps it at Meta, and here.
    expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, calling)).body.sipCredentials).toBe(true);
    expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, { status: 'ENABLED' })).body.sipCredentials).toBe(true);
    expect(await inviteOnce(sipPort, CALLED)).toMatch(/^SIP\/2\.0 401 Unauthorized/);
  }, 60_000);

  test('invalid settings and unknown numbers are refused with a problem, and nothing reaches Meta', async () => {
    const rig = await startService();
    cleanups.push(() => rig.stop());
    const unknown = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, calling);
    expect(unknown).toMatchObject({ status: 404, contentType: expect.stringContaining('application/problem+json'), body: { code: 'unknown_number' } });
    expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
    const closed = { ...calling, call_hours: { ...calling.call_hours, weekly_operating_hours: [{ day_of_week: 'MONDAY', open_time: '1020', close_time: '0400' }] } };
    const refused = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, closed);
    expect(refused).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    const noServer = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, { status: 'ENABLED', sip: { status: 'ENABLED' } });
    expect(noServer.status).toBe(400);
    // A host name Meta cannot resolve and user params that break the Request-URI Meta builds: every call's INVITE
    // would be unparseable (dropped, the caller hearing nothing); refused here, each naming its path.
    const badSip = { status: 'ENABLED', sip: { status: 'ENABLED', servers: [{ hostname: 'bad host name!', request_uri_user_params: { 'trunk-context': 'x y', 'a;b': 'c' } }] } };
    const badSipAnswer = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, badSip);
    expect(badSipAnswer).toMatchObject({ status: 400, contentType: expect.stringContaining('application/problem+json'), body: { code: 'invalid_request' } });
    expect(badSipAnswer.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['sip.servers.0.hostname', 'sip.servers.0.request_uri_user_params.a;b', 'sip.servers.0.request_uri_user_params.trunk-context']);
    const ipServer = { status: 'ENABLED', sip: { status: 'ENABLED', servers: [{ hostname: '192.0.2.10', request_uri_user_params: { 'trunk-context': '+1-202', tgrp: 'wa%20call' } }] } };
    expect(rig.simulator.callingSettings(BUSINESS_NUMBER_ID)).toBeUndefined();
    expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, ipServer)).status).toBe(200);
    expect((await rig.requestAs('agent', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, calling)).status).toBe(403);
    expect(rig.simulator.callingSettings(BUSINESS_NUMBER_ID)?.calling).toEqual(ipServer);
  }, 60_000);
});

/** One INVITE without credentials over UDP, as anyone who can reach the port could send it; the first final answer. */
async function inviteOnce(port: number, called: string): Promise<string> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const local = socket.address().port;
  const callId = `probe-${Date.now()}@127.0.0.1`;
  const invite = [
    `INVITE sip:${called}@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${Date.now()}`,
    'Max-Forwards: 70',
    `From: <sip:+15550001111@127.0.0.1>;tag=probe`,
    `To: <sip:${called}@127.0.0.1>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:probe@127.0.0.1:${local}>`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no final answer in 10 s')), 10_000);
      socket.on('message', (data) => {
        const text = data.toString();
        if (/^SIP\/2\.0 [2-6]\d\d/.test(text)) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      socket.send(invite, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
