import { inboundTextWebhook } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { startServiceOnOwnTemporal, type OwnTemporal } from '../support/own-temporal';
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';

let own: OwnTemporal;
let rig: ServiceRig;

beforeAll(async () => {
  own = await startServiceOnOwnTemporal('outage');
  rig = own.rig;
}, 120_000);

afterAll(async () => {
  await own?.stop();
});

describe('Temporal unreachable', () => {
  it('answers 503 so the broker retries, then takes the redelivery once Temporal is back, exactly once', async () => {
    const customer = '15551110001';
    const body = inboundTextWebhook({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'are you there?' });
    const wamid = (body.entry[0]!.changes[0]!.value.messages as { id: string }[])[0]!.id;

    await own.stopTemporal();
    const delivery = rig.simulator.deliverWebhook(body); // redelivers with backoff until 200, as Meta does
    // The first attempt fails with 503, but the message is already durable in MongoDB.
    await eventually(() => rig.store.messages.findOne({ _id: wamid }), (doc) => doc !== null, 15_000);
    // Longer than the webhook's 5 s hand-over deadline, so the first attempt really fails.
    await new Promise((resolve) => setTimeout(resolve, 7_000));

    await own.startTemporal();
    const result = await delivery;
    expect(result.finalStatus).toBe(200);
    expect(result.attempts).toBeGreaterThan(1);

    const conversation = await eventually(
      () => rig.request('GET', `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${customer}`),
      (r) => r.status === 200 && r.body.inboundCount === 1,
      30_000,
    );
    expect(conversation.body.state).toBe('openSession');
    expect(await rig.store.messages.countDocuments({ conversationId: `wa:${BUSINESS_NUMBER_ID}:${customer}` })).toBe(1);
  }, 120_000);

  it('refuses an agent send with 503 temporarily_unavailable while Temporal is down, recording nothing', async () => {
    const customer = '15551110001';
    await own.stopTemporal();
    try {
      const answer = await rig.request('POST', `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${customer}/messages`, { message: { type: 'text', text: 'hello' } });
      expect(answer).toMatchObject({ status: 503, body: { code: 'temporarily_unavailable' } });
      expect(await rig.store.messages.countDocuments({ direction: 'outbound' })).toBe(0);
    } finally {
      await own.startTemporal();
    }
  }, 120_000);

  it("a user's call while Temporal is down: 503, the call event already stored; the redelivery opens the window once Temporal is back", async () => {
    const customer = '15551110002';
    const wacid = `wacid.outage-${Date.now()}`;
    const calledAt = Math.floor(Date.now() / 1000);
    // Meta's user-initiated `connect` (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/).
    const call = { id: wacid, to: '12025550109', from: customer, event: 'connect', timestamp: String(calledAt), direction: 'USER_INITIATED', session: { sdp_type: 'offer', sdp: 'v=0' } };
    const value = { messaging_product: 'whatsapp', metadata: { display_phone_number: '12025550109', phone_number_id: BUSINESS_NUMBER_ID }, contacts: [{ profile: { name: 'Pablo' }, wa_id: customer }], calls: [call] };
    const body = { object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field: 'calls', value }] }] };

    await own.stopTemporal();
    const delivery = rig.simulator.deliverWebhook(body);
    await eventually(() => rig.store.db.collection('call_events').findOne({ _id: `${wacid}:connect` as never }), (doc) => doc !== null, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    await own.startTemporal();
    const result = await delivery;
    expect(result.finalStatus).toBe(200);
    expect(result.attempts).toBeGreaterThan(1);

    const conversation = await eventually(() => rig.request('GET', `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${customer}`), (r) => r.status === 200 && r.body.state === 'openSession', 30_000);
    expect(conversation.body.windowClosesAt).toBe(new Date(calledAt * 1000 + 24 * 60 * 60 * 1000).toISOString());
  }, 120_000);
});
