/**
 * An agent calls a customer keyed by BSUID (README "Customers: one person, one conversation"): their call permission
 * reply (Meta's `call_permission_reply`, naming their number and BSUID,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/) lets the
 * call through, and the call is filed under their conversation. The broker simulator plays Meta's SIP server, sipp
 * the contact centre dialling the customer's number (test/support/sipp/dial-customer.xml).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/
 */
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import { dialCustomer, simulatorCallingRig, type SimulatorCallingRig } from '../support/call-rig';
import { eventually } from '../support/workflow-env';
import { nowSeconds } from '../support/call-permission-payloads';

let rig: ServiceRig;
let calling: SimulatorCallingRig;
const waId = String(15558700000 + Math.floor(Math.random() * 90_000));
const userId = `US.${waId}${Math.floor(Math.random() * 1e9)}`;
const conversation = encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${userId}`);
const post = (path: string, body: unknown) => fetch(`${rig.simulator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  calling = await simulatorCallingRig();
  rig = calling.rig;
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

test('the permission a BSUID-keyed customer gave lets the agent call their number; the call is their conversation\'s', async () => {
  const reply = { response: 'accept', is_permanent: false, expiration_timestamp: nowSeconds() + 7 * 86_400 - 60, response_source: 'user_action' };
  const inbound = { phoneNumberId: BUSINESS_NUMBER_ID, from: waId, userId, type: 'interactive', content: { type: 'call_permission_reply', call_permission_reply: reply } };
  expect((await post('/_sim/inbound', inbound)).status).toBe(200);
  await eventually(() => rig.request('GET', `/v1/conversations/${conversation}/call-permission`), (r) => r.body.canCall === true, 20_000);
  expect((await post('/_sim/calls/answering', { customer: waId, outcome: 'answer', ringMs: 300, hangUpAfterMs: 800 })).status).toBe(200);

  const report = await dialCustomer(calling, waId, 'us');
  // Placed (no 403 call_permission_required), answered and ended by the customer.
  expect(report.exitCode).toBe(0);
  const calls = await eventually(() => rig.request('GET', `/v1/conversations/${conversation}/calls`), (r) => r.body.calls?.[0]?.phase === 'ended', 30_000);
  expect(calls.body.calls[0]).toMatchObject({ direction: 'business_initiated', customerNumber: waId, conversationId: `wa:${BUSINESS_NUMBER_ID}:${userId}` });
}, 90_000);
