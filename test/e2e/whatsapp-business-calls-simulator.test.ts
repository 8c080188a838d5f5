/**
 * Business-initiated calls as `npm start` runs them: the broker simulator's SIP side plays Meta's SIP server (digest
 * challenge, the customer's phone ringing and answering as `/_sim/calls/answering` says) and sipp plays the contact
 * centre with the README's scenario (test/support/sipp/dial-customer.xml). The customer's permission comes as the
 * README gives it, a `call_permission_reply` the simulated user sends.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/
 */
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import { dialCustomer, simulatorCallingRig, type SimulatorCallingRig } from '../support/call-rig';
import type { SippMessage } from '../support/sipp';
import { eventually } from '../support/workflow-env';
import { nowSeconds } from '../support/call-permission-payloads';

let rig: ServiceRig;
let calling: SimulatorCallingRig;
let nextCustomer = 15558500000 + Math.floor(Math.random() * 400_000);
const conversation = (customer: string) => encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`);
const bodyOf = (m: SippMessage) => m.text.split(/\r?\n\r?\n/).slice(1).join('\n\n').replace(/\r/g, '').trim();
const post = (path: string, body: unknown) => fetch(`${rig.simulator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  calling = await simulatorCallingRig();
  rig = calling.rig;
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

/** The simulated user accepts a call permission request for 7 days (less a minute), as the README does it. */
async function permitted(customer: string): Promise<void> {
  const reply = { response: 'accept', is_permanent: false, expiration_timestamp: nowSeconds() + 7 * 86_400 - 60, response_source: 'user_action' };
  expect((await post('/_sim/inbound', { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'interactive', content: { type: 'call_permission_reply', call_permission_reply: reply } })).status).toBe(200);
  await eventually(() => rig.request('GET', `/v1/conversations/${conversation(customer)}/call-permission`), (r) => r.body.canCall === true);
}

const dial = (customer: string, hangup: 'us' | 'them') => dialCustomer(calling, customer, hangup);

describe("an agent dials a customer from sipp, the simulator playing Meta's SIP server", () => {
  test('the customer answers and hangs up: the SDP passes both ways unchanged, the call is stored ended by the customer', async () => {
    const customer = String((nextCustomer += 1));
    await permitted(customer);
    expect((await post('/_sim/calls/answering', { customer, outcome: 'answer', ringMs: 300, hangUpAfterMs: 1_000 })).status).toBe(200);

    const report = await dial(customer, 'us');
    expect(report.exitCode).toBe(0);
    const simulated = rig.simulator.sip.calls().find((c) => c.customer === customer)!;
    expect(simulated).toMatchObject({ direction: 'BUSINESS_INITIATED', state: 'ended', endedBy: 'customer' });
    const [invite] = report.messages.filter((m) => m.direction === 'sent' && m.startLine.startsWith('INVITE '));
    expect(simulated.remoteSdp!.replace(/\r/g, '').trim()).toBe(bodyOf(invite!));
    const answer = report.messages.find((m) => m.direction === 'received' && m.startLine === 'SIP/2.0 200 OK');
    expect(bodyOf(answer!)).toBe(simulated.sdp.replace(/\r/g, '').trim());
    expect(report.received('BYE')).toHaveLength(1);

    const calls = await eventually(() => rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`), (r) => r.body.calls?.[0]?.phase === 'ended', 30_000);
    expect(calls.body.calls[0]).toMatchObject({ direction: 'business_initiated', cause: 'customer_hung_up', agentId: 'agent-1', customerNumber: customer });
  }, 90_000);

  test('the agent hangs up: the simulated customer gets our BYE, the call is stored ended by the agent', async () => {
    const customer = String((nextCustomer += 1));
    await permitted(customer);
    expect((await post('/_sim/calls/answering', { customer, outcome: 'answer', ringMs: 300 })).status).toBe(200);

    expect((await dial(customer, 'them')).exitCode).toBe(0);
    const calls = await eventually(() => rig.request('GET', `/v1/conversations/${conversation(customer)}/calls`), (r) => r.body.calls?.[0]?.phase === 'ended', 30_000);
    expect(calls.body.calls[0]).toMatchObject({ direction: 'business_initiated', cause: 'agent_hung_up' });
    await eventually(async () => rig.simulator.sip.calls().find((c) => c.customer === customer), (c) => c?.state === 'ended' && c.endedBy !== 'customer');
  }, 90_000);
});
