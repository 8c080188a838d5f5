/**
 * A fresh user's report: an agent who does not hold the conversation called `POST …/typing` (403 not_assigned), and
 * that refused call armed the API's 20 s debounce: the same agent's next call answered 200 "debounced" instead of
 * 403, and the holder's too, so the customer saw no typing indicator for 20 s. The debounce arms only once the
 * caller was allowed and the indicator went out (README "Read receipts and typing").
 * Meta: https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators/
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippPeer } from '../support/sipp';
import { eventually } from '../support/workflow-env';
import { keepHistory } from '../support/histories';

let rig: ServiceRig;
let sipp: SippPeer;
const customer = String(15557200000 + Math.floor(Math.random() * 900_000));
const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const typing = `/v1/conversations/${encodeURIComponent(id)}/typing`;

beforeAll(async () => {
  // sipp plays the contact centre and answers the conversation's call as agent-1, the rig's agent key.
  sipp = await startSipp({ scenario: 'answer', transport: 'udp', agent: 'agent-1', set: { hangup: 'us' }, timeoutSeconds: 90 });
  rig = await startService({ sip: { connectorUri: sipp.uri } });
  const draft = { routing: { defaultQueue: 'sales', defaultSkill: 'returns', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 5 } } };
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
}, 90_000);
afterAll(async () => {
  await rig?.stop();
  await sipp?.stop();
});

describe('typing indicator refused to an agent who does not hold the conversation', () => {
  it('answers 403 not_assigned every time without arming the debounce, and the holder then shows the indicator', async () => {
    await rig.requestAs('supervisor', 'POST', '/v1/agents', { agentId: 'agent-7', name: 'Agent Seven' });
    const agent7 = (await rig.requestAs('supervisor', 'POST', '/v1/api-keys', { role: 'agent', name: 'agent-7', agentId: 'agent-7' })).body.key as string;
    const { wamid } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Is anyone there?' });
    await eventually(() => rig.request('GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.body.state === 'handedToAgent' && r.body.agentId === 'agent-1', 45_000);

    const asAgent7 = () => rig.request('POST', typing, {}, { authorization: `Bearer ${agent7}` });
    expect(await asAgent7()).toMatchObject({ status: 403, body: { code: 'not_assigned' } });
    expect(await asAgent7()).toMatchObject({ status: 403, body: { code: 'not_assigned' } });
    expect(rig.simulator.reads().filter((r) => r.messageId === wamid && r.typing)).toEqual([]);

    // The holder is not debounced by the refused calls: the customer sees the indicator at once.
    expect(await rig.requestAs('agent', 'POST', typing, {})).toMatchObject({ status: 200, body: { sent: true } });
    expect(rig.simulator.reads().filter((r) => r.messageId === wamid && r.typing)).toHaveLength(1);
    // And from then on keystrokes within 20 s add no call.
    expect(await rig.requestAs('agent', 'POST', typing, {})).toMatchObject({ status: 200, body: { sent: false, reason: 'debounced' } });
    expect(await asAgent7()).toMatchObject({ status: 403, body: { code: 'not_assigned' } });
  }, 90_000);
});

/**
 * The same rule inside the conversation's workflow (each API process debounces on its own; the workflow decides for
 * all): a typing call WhatsApp refused showed the customer nothing, so the next one is sent, not debounced.
 */
describe('typing indicator WhatsApp refused', () => {
  let plain: ServiceRig;
  beforeAll(async () => {
    plain = await startService();
  }, 60_000);
  afterAll(async () => plain?.stop());

  it('arms no debounce: the next call shows the indicator', async () => {
    const other = String(15557200000 + Math.floor(Math.random() * 900_000));
    const path = `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${other}`)}`;
    const { wamid } = await plain.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: other, text: 'Hello?' });
    await eventually(() => plain.request('GET', path), (r) => r.body.inboundCount === 1);

    plain.simulator.injectFault({ kind: 'http', status: 400, code: 131009, times: 1 });
    expect(await plain.requestAs('agent', 'POST', `${path}/typing`, {})).toMatchObject({ status: 200, body: { sent: false, reason: 'refused' } });
    expect(await plain.requestAs('agent', 'POST', `${path}/typing`, {})).toMatchObject({ status: 200, body: { sent: true } });
    expect(plain.simulator.reads().filter((r) => r.messageId === wamid && r.typing)).toHaveLength(1);
    // With RECORD_HISTORIES=1, its history (the patch's marker included) is kept for the replay test.
    expect((await plain.request('POST', `${path}/close`, {})).status).toBe(200);
    const handle = plain.temporal.workflow.getHandle(`wa:${BUSINESS_NUMBER_ID}:${other}`);
    await handle.result();
    await keepHistory('typing-refused-then-sent', handle);
  }, 60_000);
});
