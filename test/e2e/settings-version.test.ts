/**
 * A conversation reads its settings again only when the published version changed (issue 22's closed-loop cut): the
 * API puts the version it saw on each customer message's signal. Through the whole service: a configuration published
 * while a conversation is open applies to the customer's next message, even within the minute its last read holds.
 */
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
const customer = String(15557000000 + Math.floor(Math.random() * 900_000));
const path = `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('settings published while a conversation is open', () => {
  it("apply to the customer's next message: the out-of-hours reply goes out", async () => {
    // Early in a minute, so the conversation's last read still holds for its minute when the next message comes.
    if (new Date().getSeconds() > 40) await sleep((61 - new Date().getSeconds()) * 1_000);
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hello' });
    await eventually(() => rig.request('GET', path), (r) => r.body.inboundCount === 1);
    const texts = () => rig.simulator.sent().filter((m) => m.to === customer).map((m) => (m.body as { text?: { body?: string } }).text?.body);
    expect(texts()).toEqual([]);

    const draft = { autoReplies: { outOfHours: 'We are closed; we answer from 9:00.' }, businessHours: { timeZone: 'UTC', days: {} } };
    expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
    expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
    await sleep(1_100); // the API's read of the published version is at most a second old

    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'anyone there?' });
    await eventually(() => rig.request('GET', path), (r) => r.body.inboundCount === 2);
    await eventually(texts, (t) => t.length === 1, 15_000);
    expect(texts()).toEqual(['We are closed; we answer from 9:00.']);
  }, 120_000);
});
