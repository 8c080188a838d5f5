/**
 * The simulated broker fails a free-form send outside the customer service window as Meta does: the send is accepted
 * (200, a wamid), then one `failed` status arrives with 131047 "Re-engagement message" ("More than 24 hours have passed
 * since the recipient last replied to the sender number",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes; the status shape:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status).
 * Templates (and Direct Send's utility messages) still go. Time is moved by dating the customer's message back.
 */
import { startBrokerSimulator, type BrokerSimulator, type SimulatorOptions } from '../../simulator/broker-simulator';
import { startStatusSink, type StatusSink } from '../support/status-sink';

const TOKEN = 'sim-token';
const NUMBER = '106540352242922';
const HOUR = 3600;
const seconds = () => Math.floor(Date.now() / 1000);

const send = (sim: BrokerSimulator, body: object) =>
  fetch(`${sim.url}/v23.0/${NUMBER}/messages`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ messaging_product: 'whatsapp', ...body }) })
    .then(async (r) => ({ status: r.status, body: (await r.json()) as { messages: { id: string }[] } }));
const text = (to: string) => ({ to, type: 'text', text: { body: 'Are you still there?' } });
const template = (to: string) => ({ to, type: 'template', template: { name: 'order_ready', language: { code: 'en_US' } } });
const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i += 1) await new Promise((r) => setTimeout(r, 20));
};

describe("the simulated broker's customer service window (131047 by status webhook)", () => {
  let sim: BrokerSimulator;
  let hook: StatusSink;
  const start = async (options: Partial<SimulatorOptions>) => {
    hook = await startStatusSink();
    sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'sim-secret', webhookUrl: hook.url, statusDelayMs: 5, ...options });
    sim.seedTemplate({ wabaId: '1', name: 'order_ready', language: 'en_US', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Your order is ready' }] });
  };
  /** The statuses delivered for a wamid, once its last one (read or failed) has arrived. */
  const statusesOf = async (wamid: string) => {
    await until(() => hook.statuses.some((s) => s.id === wamid && ['read', 'failed'].includes(s.status)));
    return hook.statuses.filter((s) => s.id === wamid);
  };
  afterEach(async () => {
    await sim?.close();
    await hook?.close();
  });

  it('accepts a text to a user who last wrote 25 h ago, then fails it with Meta\'s 131047; a template to them still goes', async () => {
    await start({ enforceServiceWindow: 'known-users' });
    // Through the HTTP control, as under `npm start`.
    await fetch(`${sim.url}/_sim/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumberId: NUMBER, from: '15551230001', text: 'hi', timestamp: seconds() - 25 * HOUR }) });

    const refused = await send(sim, text('15551230001'));
    expect(refused.status).toBe(200);
    expect(refused.body.messages[0]!.id).toMatch(/^wamid\./);
    expect(await statusesOf(refused.body.messages[0]!.id)).toEqual([
      expect.objectContaining({
        status: 'failed',
        recipient_id: '15551230001',
        errors: [{ code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', error_data: { details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' } }],
      }),
    ]);

    const tpl = await send(sim, template('15551230001'));
    expect(tpl.status).toBe(200);
    expect((await statusesOf(tpl.body.messages[0]!.id)).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
  });

  it('lets a text through to a user who wrote within 24 h, to one it never saw, and as Direct Send utility content', async () => {
    await start({ enforceServiceWindow: 'known-users' });
    await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15551230002', text: 'hi', timestamp: seconds() - 23 * HOUR });
    await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15551230003', text: 'hi', timestamp: seconds() - 25 * HOUR });
    sim.setDirectSend(NUMBER, true);
    for (const body of [text('15551230002'), text('15551239999'), { ...text('15551230003'), category: 'utility' }]) {
      const answer = await send(sim, body);
      expect((await statusesOf(answer.body.messages[0]!.id)).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    }
  });

  it('keeps the window a later message or call opened: a late-delivered older message never moves it back', async () => {
    await start({ enforceServiceWindow: 'known-users' });
    await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15551230004', text: 'new', timestamp: seconds() - 60 });
    await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15551230004', text: 'old, delivered late', timestamp: seconds() - 25 * HOUR });
    await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15551230005', text: 'old', timestamp: seconds() - 25 * HOUR });
    // The user's call (connect, USER_INITIATED) opens the window as a message does (Calling API pricing page).
    await sim.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'calls', value: { metadata: { phone_number_id: NUMBER }, calls: [{ id: 'wacid.w1', from: '15551230005', to: '15550783881', event: 'connect', direction: 'USER_INITIATED', timestamp: String(seconds()) }] } }] }],
    });
    for (const to of ['15551230004', '15551230005']) {
      const answer = await send(sim, text(to));
      expect((await statusesOf(answer.body.messages[0]!.id)).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    }
  });

  it("'all' fails a text to a user it never saw too; unset, nothing is failed for the window", async () => {
    await start({ enforceServiceWindow: 'all' });
    const unseen = await send(sim, text('15551239998'));
    expect((await statusesOf(unseen.body.messages[0]!.id)).map((s) => [s.status, s.errors?.[0]?.code])).toEqual([['failed', 131047]]);
    await sim.close();
    await hook.close();

    await start({});
    await sim.sendInboundText({ phoneNumberId: NUMBER, from: '15551230006', text: 'hi', timestamp: seconds() - 25 * HOUR });
    const answer = await send(sim, text('15551230006'));
    expect((await statusesOf(answer.body.messages[0]!.id)).map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
  });
});
