/**
 * A customer keyed by BSUID (the business wrote to them naming number and BSUID) calls over SIP: the broker simulator plays Meta's SIP server (its INVITE names the
 * caller's wa_id as the From user, https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/)
 * and sends Meta's `calls` webhooks; sipp is the contact centre. The call is filed under the conversation their
 * messages use (the registry's key: README "Customers: one person, one conversation"): the contact centre gets that
 * id as `X-Conversation-Id`, and the SIP call and Meta's report of it are one entry in that thread.
 */
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippPeer } from '../support/sipp';
import { agentLeg } from '../support/sipp-calls';
import { eventually } from '../support/workflow-env';

const DISPLAY = '12025550109';
let rig: ServiceRig;
let cc: SippPeer;
const waId = String(15558900000 + Math.floor(Math.random() * 90_000));
const userId = `US.${waId}${Math.floor(Math.random() * 1e9)}`;
const conversation = `wa:${BUSINESS_NUMBER_ID}:${userId}`;

beforeAll(async () => {
  cc = await startSipp({ scenario: 'custom:agent-leg', scenarioXml: agentLeg('answer'), transport: 'udp', agent: 'agent-7', timeoutSeconds: 60 });
  const sipPort = await findFreePort();
  rig = await startService({ sip: { connectorUri: cc.uri, localPort: sipPort } });
  const draft = { routing: { defaultQueue: 'support', defaultSkill: 'voice', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 2 } } };
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
  const number = { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: `+${DISPLAY}`, verificationMethod: 'sms', ownership: { attestedBy: 'Owner', statement: true } };
  expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
  const calling = { status: 'ENABLED', sip: { status: 'ENABLED', servers: [{ hostname: '127.0.0.1', port: sipPort }] } };
  expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, calling)).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await cc?.stop();
  await rig?.stop();
});

test('known by number and BSUID (keyed by BSUID), then calls over SIP: X-Conversation-Id, the call and its webhooks are the BSUID conversation\'s', async () => {
  // The business wrote first, naming the number and the BSUID (keyed by BSUID). A customer's own message would route
  // the chat to the contact centre with an INVITE of its own; this one takes a single INVITE, the call's.
  await rig.approveTemplate('appointment_reminder');
  const started = await rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId, userId }, template: { name: 'appointment_reminder', language: 'en_US' } });
  expect(started.body.conversationId).toBe(conversation);
  await eventually(() => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversation)}`), (r) => r.status === 200, 20_000);
  await fetch(`${rig.simulator.url}/_sim/calls/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumberId: BUSINESS_NUMBER_ID, enabled: true }) });
  const placed = await fetch(`${rig.simulator.url}/_sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phoneNumberId: BUSINESS_NUMBER_ID, from: waId, displayPhoneNumber: DISPLAY, hangUpAfterMs: 800 }),
  });
  expect(placed.status).toBe(201);
  const { callId } = (await placed.json()) as { callId: string };

  const report = await cc.finished();
  expect(report.exitCode).toBe(0);
  expect(report.received('INVITE')[0]!.header('X-Conversation-Id')).toBe(conversation);

  const thread = await eventually(
    () => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversation)}/messages`),
    (r) => r.status === 200 && r.body.calls?.[0]?.outcome === 'ended' && r.body.calls[0].meta?.status === 'COMPLETED',
    30_000,
  );
  expect(thread.body.calls).toHaveLength(1);
  expect(thread.body.calls[0]).toMatchObject({ kind: 'call', callId, direction: 'inbound', outcome: 'ended' });
  const calls = await rig.request('GET', `/v1/conversations/${encodeURIComponent(conversation)}/calls`);
  expect(calls.body.calls).toHaveLength(1);
  // Nothing under an id built from the number.
  const byNumber = encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${waId}`);
  expect((await rig.request('GET', `/v1/conversations/${byNumber}/calls`)).body.calls).toEqual([]);
  expect((await rig.request('GET', `/v1/conversations/${byNumber}`)).status).toBe(404);
}, 120_000);
