/**
 * Meta's documented webhook payloads, posted as Meta sends them (whole bodies, signed), and what the integrator then
 * sees: the thread, the conversation's window and what was sent. Each body is the example of the page named beside it.
 */
import { eventually } from '../support/workflow-env';
import { signBody } from '../../simulator/cloud-api.payloads';
import { APP_SECRET, BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15557000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
const seconds = (ms: number) => Math.floor(ms / 1000);
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));
const thread = async (customer: string) => (await rig.request('GET', path(customer, '/messages'))).body.messages as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
const sentTo = (customer: string) => rig.simulator.sent().filter((m) => m.to === customer);

/** Meta's envelope around one `messages` change value, as the messages webhook reference writes it. */
const messagesChange = (value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: WABA_ID,
      changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID }, ...value }, field: 'messages' }],
    },
  ],
});
/** One message of `customer` in it. */
const messagesWebhook = (customer: string, message: Record<string, unknown>) =>
  messagesChange({ contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: customer }], messages: [{ from: customer, ...message }] });
const uniqueText = () => Math.random().toString(36).slice(2);
const GROUP_ID = 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD';

/** Posts a body signed as Meta signs it, straight to the connector; the answer's status and JSON. */
const post = (body: object) => {
  const raw = JSON.stringify(body);
  return fetch(`${rig.baseUrl}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) }, body: raw }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  }));
};

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('group messages (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/group/)', () => {
  it("keeps a message written in a group in the writer's thread as an event: the 1:1 window stays where it was", async () => {
    const customer = newCustomer();
    const wroteAt = seconds(Date.now()) - 3_600;
    await rig.simulator.deliverWebhook(messagesWebhook(customer, { id: `wamid.dm-${customer}`, timestamp: String(wroteAt), type: 'text', text: { body: 'Hello' } }));
    const before = (await eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === 1)).body;

    const wamid = `wamid.group-${customer}`;
    const delivery = await rig.simulator.deliverWebhook(
      messagesWebhook(customer, { group_id: GROUP_ID, id: wamid, timestamp: String(seconds(Date.now())), text: { body: 'What do you all think about this?' }, type: 'text' }),
    );
    expect(delivery.finalStatus).toBe(200);
    const t = await eventually(() => thread(customer), (messages) => messages.some((m) => m.wamid === wamid));
    expect(t.find((m) => m.wamid === wamid)).toMatchObject({ type: 'text', text: 'What do you all think about this?', event: true, group: { id: GROUP_ID } });
    await settle();
    expect((await rig.request('GET', path(customer))).body).toMatchObject({ windowClosesAt: before.windowClosesAt, lastInboundAt: before.lastInboundAt, inboundCount: 1 });
  });

  it('starts no 1:1 conversation for someone who wrote only in a group, and sends them nothing', async () => {
    const customer = newCustomer();
    await rig.simulator.deliverWebhook(
      messagesWebhook(customer, { group_id: GROUP_ID, id: `wamid.group-only-${customer}`, timestamp: String(seconds(Date.now())), text: { body: 'Hi all' }, type: 'text' }),
    );
    await eventually(() => thread(customer), (messages) => messages.length === 1);
    await settle();
    expect((await rig.request('GET', path(customer))).status).toBe(404);
    expect(sentTo(customer)).toHaveLength(0);
  });

  it("does not count, or put in another writer's thread, a group message without its `from`, beside someone's 1:1 message", async () => {
    // Meta's group example always names the writer (`from`); without it, the body's one contact is the 1:1 writer's.
    const customer = newCustomer();
    const now = String(seconds(Date.now()));
    const headless = { group_id: GROUP_ID, id: `wamid.group-nofrom-${customer}`, timestamp: now, text: { body: 'What do you all think about this?' }, type: 'text' };
    const body = messagesChange({
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: customer }],
      messages: [{ from: customer, id: `wamid.dm-${customer}`, timestamp: now, type: 'text', text: { body: 'Hello' } }, headless],
    });
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { messages: 1, deadLetters: 1 } } });
    await eventually(() => thread(customer), (messages) => messages.length >= 1);
    await settle();
    expect((await thread(customer)).map((m) => m.wamid)).toEqual([`wamid.dm-${customer}`]);
    const letters = (await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?reason=no_customer')).body.deadLetters as { wamid?: string }[];
    expect(letters.filter((d) => d.wamid === headless.id)).toHaveLength(1);
    // Redelivered: still one message, nothing new.
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { messages: 1, duplicates: 1 } } });
  });
});

describe('context and errors as Meta documents them', () => {
  it('shows the product a customer asked about (context.referred_product, the text page\'s "product enquiry" example)', async () => {
    const customer = newCustomer();
    const wamid = `wamid.enquiry-${customer}`;
    await rig.simulator.deliverWebhook(
      messagesWebhook(customer, {
        id: wamid,
        timestamp: String(seconds(Date.now())),
        type: 'text',
        text: { body: 'Is this available in red?' },
        context: { from: '15550783881', id: 'wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTdCNTg5RjY1MEMyRjlGMjRGNgA=', referred_product: { catalog_id: '194836987003835', product_retailer_id: 'di9ozbzfi4' } },
      }),
    );
    const t = await eventually(() => thread(customer), (messages) => messages.some((m) => m.wamid === wamid));
    expect(t.find((m) => m.wamid === wamid)!.context).toEqual({
      messageId: 'wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTdCNTg5RjY1MEMyRjlGMjRGNgA=',
      from: '15550783881',
      referredProduct: { catalogId: '194836987003835', productRetailerId: 'di9ozbzfi4' },
    });
  });

  it("keeps an unknown message's error details in Meta's older shape (details beside title)", async () => {
    const customer = newCustomer();
    const wamid = `wamid.unknown-${customer}`;
    await rig.simulator.deliverWebhook(
      messagesWebhook(customer, { id: wamid, timestamp: String(seconds(Date.now())), type: 'unknown', errors: [{ code: 131051, details: 'Message type is not currently supported', title: 'Unsupported message type' }] }),
    );
    const t = await eventually(() => thread(customer), (messages) => messages.some((m) => m.wamid === wamid));
    expect(t.find((m) => m.wamid === wamid)!.unsupported).toEqual({
      type: 'unknown',
      errors: [{ code: 131051, title: 'Unsupported message type', details: 'Message type is not currently supported' }],
    });
  });
});

describe('errors webhooks (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/errors)', () => {

  it("tells supervisors of a system-level error Meta reports outside any message (not lost), once per event", async () => {
    const details = `Cloud API message throughput has been reached (${uniqueText()}).`;
    const body = messagesChange({
      errors: [{ code: 130429, title: 'Rate limit hit', message: '(#130429) Rate limit hit', error_data: { details }, href: '/docs/whatsapp/cloud-api/support/error-codes/' }],
    });
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { healthEvents: 1, deadLetters: 0 } } });
    // A redelivery counts nothing, as a redelivered calls event does.
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { healthEvents: 0, deadLetters: 0 } } });
    const alerts = ((await rig.requestAs('supervisor', 'GET', '/v1/alerts?status=active')).body.alerts as Record<string, unknown>[]).filter((a) => a.details === details);
    expect(alerts).toEqual([
      expect.objectContaining({ field: 'messages', event: '130429', severity: 'warning', businessNumberId: BUSINESS_NUMBER_ID, title: expect.stringContaining('(#130429) Rate limit hit') }),
    ]);

    // Meta's errors body carries no time: once a supervisor has resolved the alert, the same error again is a new
    // occurrence (a redelivery would have come before the resolution), and is not lost.
    const resolved = await rig.requestAs('supervisor', 'POST', `/v1/alerts/${alerts[0]!.id as string}/resolve`, { campaigns: 'resume' });
    expect(resolved.status).toBe(200);
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { healthEvents: 1 } } });
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { healthEvents: 0 } } });
    const again = ((await rig.requestAs('supervisor', 'GET', '/v1/alerts?status=active')).body.alerts as Record<string, unknown>[]).filter((a) => a.details === details);
    expect(again).toEqual([expect.objectContaining({ event: '130429', status: 'active' })]);
    expect(again[0]!.id).not.toBe(alerts[0]!.id);
  });
});

describe('statuses (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/)', () => {
  it('acknowledges a status value the reference does not list and keeps it as a dead letter, where it had been dropped uncounted', async () => {
    const customer = newCustomer();
    const wamid = `wamid.deleted-${customer}`;
    const body = messagesChange({ statuses: [{ id: wamid, status: 'deleted', timestamp: String(seconds(Date.now())), recipient_id: customer }] });
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { statuses: 0, deadLetters: 1 } } });
    // Meta delivers it again: the letter is kept already, so the answer counts none (one letter, as GET shows).
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { statuses: 0, deadLetters: 0 } } });
    const letters = (await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?reason=status_unreadable')).body.deadLetters as { raw?: string; detail?: string }[];
    expect(letters.filter((l) => l.raw?.includes(wamid) && l.detail?.includes('"deleted"'))).toHaveLength(1);
  });
});
