import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';

/**
 * A customer's phone with its clock running fast dates a message ahead (the webhook's `timestamp`); WhatsApp knows
 * when it received it, and its rules count from then: "You can only block users that have messaged your business in
 * the last 24 hours" (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/), "Mark
 * incoming messages as read within 30 days of receipt", else 131009
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read). The
 * simulator's service windows already count so (pricing-windows.unit.test.ts); a block or a read must too, or it takes
 * what Meta refuses. Only Date is faked, so the HTTP round trips run on real timers.
 */
const TOKEN = 'sim-token';
const NUMBER = '1066';
const HOUR = 3_600_000;
let sim: BrokerSimulator;
let now = Date.now();
beforeAll(async () => {
  sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'sim-secret', autoStatuses: false, redeliver: { attempts: 1, initialDelayMs: 1 } });
  sim.setWebhookUrl('http://127.0.0.1:9/unreachable');
});
afterAll(async () => sim?.close());
beforeEach(() => {
  now = Date.now();
  jest.useFakeTimers({ now, doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
});
afterEach(() => jest.useRealTimers());

const graph = (method: string, path: string, body: object) =>
  fetch(`${sim.url}/v23.0/${NUMBER}/${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
const datedAhead = (from: string, aheadMs: number) => sim.sendInboundText({ phoneNumberId: NUMBER, from, text: 'from a phone whose clock runs fast', timestamp: Math.floor((now + aheadMs) / 1000) });

it('a user whose message was dated 48 h ahead can no longer be blocked 25 h after it came (131047 in a 400 with 139100)', async () => {
  await datedAhead('15550000101', 48 * HOUR);
  jest.setSystemTime(now + 25 * HOUR);
  const answer = await graph('POST', 'block_users', { messaging_product: 'whatsapp', block_users: [{ user: '15550000101' }] });
  expect(answer.status).toBe(400);
  expect(JSON.stringify(answer.body)).toContain('131047');
});

it('a message dated 60 days ahead can no longer be marked read 31 days after it came (131009)', async () => {
  const { wamid } = await datedAhead('15550000102', 60 * 24 * HOUR);
  jest.setSystemTime(now + 31 * 24 * HOUR);
  const answer = await graph('POST', 'messages', { messaging_product: 'whatsapp', status: 'read', message_id: wamid });
  expect(answer).toMatchObject({ status: 400, body: { error: { code: 131009 } } });
});
