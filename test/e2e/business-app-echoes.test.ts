/**
 * Coexistence: what the business writes from the WhatsApp Business app reaches us as Meta's `smb_message_echoes`
 * webhook (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes).
 * Each echo is shown in the customer's thread as an outbound message sent from the app, once per wamid, and never
 * opens or extends the customer service window (only the customer's own messages do).
 */
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { postSignedWebhook } from '../support/signed-webhook';

let rig: ServiceRig;
let next = 15559300000 + Math.floor(Math.random() * 90_000);
const newCustomer = () => String((next += 1));
const METADATA = { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID };
const idOf = (customer: string) => `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(idOf(customer))}${rest}`;
const seconds = (ms: number) => Math.floor(ms / 1000);
const unique = () => Math.random().toString(36).slice(2);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const post = (body: object) => postSignedWebhook(rig.baseUrl, body);
/** Meta's documented body: `message_echoes[]` under the `smb_message_echoes` field, `to` the user's number as the app sent to it. */
const echoBody = (echoes: Json[]) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: WABA_ID, changes: [{ value: { messaging_product: 'whatsapp', metadata: METADATA, message_echoes: echoes }, field: 'smb_message_echoes' }] }],
});
const textEcho = (to: string, body: string, at = seconds(Date.now())) => ({ from: '15550783881', to, id: `wamid.echo-${unique()}`, timestamp: String(at), type: 'text', text: { body } });
const thread = async (customer: string) => (await rig.requestAs('supervisor', 'GET', path(customer, '/messages'))).body.messages as Json[];
const lettersFor = async (wamid: string) =>
  ((await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?limit=500')).body.deadLetters as { field: string; raw: string; reason: string }[]).filter((l) => l.raw.includes(wamid));

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('messages the business sends from the WhatsApp Business app (smb_message_echoes)', () => {
  it("shows the echo in the customer's thread as sent from the app, once, and leaves the window where the customer's message put it", async () => {
    const customer = newCustomer();
    const wroteAt = seconds(Date.now()) - 3_600;
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Is my order ready?', timestamp: wroteAt });
    const before = (await eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === 1)).body;
    expect(before.windowOpen).toBe(true);

    // The app's `to` as Meta's example writes it (a leading +), for a customer who wrote from that number.
    const echo = textEcho(`+${customer}`, 'Yes, you can pick it up at 5pm');
    const answer = await post(echoBody([echo]));
    expect(answer.status).toBe(200);
    expect(answer.body.received).toMatchObject({ ignoredChanges: 0, deadLetters: 0, echoes: 1 });

    const shown = await eventually(() => thread(customer), (t) => t.some((m) => m.wamid === echo.id));
    const view = shown.find((m) => m.wamid === echo.id)!;
    expect(view).toMatchObject({ direction: 'outbound', type: 'text', text: 'Yes, you can pick it up at 5pm', source: 'business_app', sender: { kind: 'business_app' }, status: 'sent', at: new Date(Number(echo.timestamp) * 1000).toISOString() });
    // Oldest first: the customer's question, then the app's answer.
    expect(shown.map((m) => m.direction)).toEqual(['inbound', 'outbound']);

    // Meta delivers the same echo again: nothing new stored, nothing kept aside.
    const again = await post(echoBody([echo]));
    expect(again.body.received).toMatchObject({ echoes: 1, duplicates: 1, deadLetters: 0 });
    expect((await thread(customer)).filter((m) => m.wamid === echo.id)).toHaveLength(1);
    expect(await lettersFor(echo.id)).toEqual([]);

    // Only the customer's messages open or extend the window: it still closes 24 h after they wrote.
    const after = (await rig.request('GET', path(customer))).body;
    expect(after).toMatchObject({ windowOpen: true, windowClosesAt: before.windowClosesAt, inboundCount: 1, lastInboundAt: before.lastInboundAt, state: before.state });
  });

  it('finds, through the customer registry, the thread of a customer WhatsApp names by a business-scoped user id', async () => {
    const customer = newCustomer();
    const userId = `US.${Math.floor(Math.random() * 1e15)}`;
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, userId, text: 'Do you deliver on Sundays?' });
    // Keyed on the BSUID where WhatsApp gives one; the app's echo names the phone number only.
    const key = encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${userId}`);
    await eventually(() => rig.request('GET', `/v1/conversations/${key}`), (r) => r.body.inboundCount === 1);
    const echo = textEcho(customer, 'We do, until noon');
    expect((await post(echoBody([echo]))).body.received).toMatchObject({ echoes: 1, deadLetters: 0 });
    const shown = (await rig.requestAs('supervisor', 'GET', `/v1/conversations/${key}/messages`)).body.messages as Json[];
    expect(shown.map((m) => [m.direction, m.source])).toEqual([['inbound', undefined], ['outbound', 'business_app']]);
    expect((await rig.requestAs('supervisor', 'GET', path(customer, '/messages'))).status).toBe(404);
  });

  it('files an echo to someone who never wrote under their conversation id, and starts no conversation for it', async () => {
    const customer = newCustomer();
    const echo = textEcho(customer, 'Hi! Your table for two is booked for Friday');
    expect((await post(echoBody([echo]))).body.received).toMatchObject({ echoes: 1, deadLetters: 0, ignoredChanges: 0 });
    expect((await thread(customer)).map((m) => ({ wamid: m.wamid, source: m.source }))).toEqual([{ wamid: echo.id, source: 'business_app' }]);
    // No conversation was started by the business app's message: no workflow, no routing, no automatic reply.
    expect((await rig.request('GET', path(customer))).status).toBe(404);
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toEqual([]);

    // When the customer writes, their message joins the same thread after the echo.
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Thanks! Can we make it three?', timestamp: seconds(Date.now()) + 1 });
    const joined = await eventually(() => thread(customer), (t) => t.length === 2);
    expect(joined.map((m) => m.direction)).toEqual(['outbound', 'inbound']);
  });

  it("shows a picture sent from the app with its caption (not fetched: no url) and a reaction given from the app on the customer's message", async () => {
    const customer = newCustomer();
    const { wamid: asked } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Which colour?' });
    await eventually(() => thread(customer), (t) => t.length === 1);
    const at = String(seconds(Date.now()));
    const picture = { from: '15550783881', to: customer, id: `wamid.echo-${unique()}`, timestamp: at, type: 'image', image: { id: '1479537139650973', mime_type: 'image/jpeg', sha256: 'e2b5fbd3ab6b5b9b2b4e0a0b0b2a6c0c1d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6', caption: 'The blue one' } };
    const reaction = { from: '15550783881', to: customer, id: `wamid.echo-${unique()}`, timestamp: at, type: 'reaction', reaction: { message_id: asked, emoji: '👍' } };
    expect((await post(echoBody([picture, reaction]))).body.received).toMatchObject({ echoes: 2, deadLetters: 0 });
    // The reaction is no entry of its own: it is on the message it names (test/e2e/business-app-echo-checks.test.ts).
    const shown = await eventually(() => thread(customer), (t) => t.length === 2);
    const image = shown.find((m) => m.wamid === picture.id)!;
    expect(image).toMatchObject({ direction: 'outbound', type: 'image', source: 'business_app', image: { caption: 'The blue one', mimeType: 'image/jpeg' } });
    expect(image.image.url).toBeUndefined();
    expect(shown.find((m) => m.wamid === asked)!.reactions).toEqual([expect.objectContaining({ emoji: '👍', by: 'business_app' })]);
  });

  it('keeps an echo it cannot read (no recipient) as a dead letter, beside a readable one handled', async () => {
    const customer = newCustomer();
    const good = textEcho(customer, 'See you soon');
    const { to: _to, ...noRecipient } = textEcho(customer, 'lost?');
    const answer = await post(echoBody([noRecipient, good]));
    expect(answer.status).toBe(200);
    expect(answer.body.received).toMatchObject({ echoes: 1, deadLetters: 1 });
    expect((await lettersFor(noRecipient.id)).map((l) => ({ field: l.field, reason: l.reason }))).toEqual([{ field: 'smb_message_echoes', reason: 'message_unreadable' }]);
    expect((await thread(customer)).map((m) => m.wamid)).toEqual([good.id]);
  });

  it('keeps the history sync (`history`) as a field_not_handled dead letter, as before', async () => {
    const tag = unique();
    const body = { object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [{ field: 'history', value: { messaging_product: 'whatsapp', metadata: METADATA, history: [{ metadata: { phase: 0, chunk_order: 1, progress: 100 }, threads: [] }], tag } }] }] };
    expect((await post(body)).body.received).toMatchObject({ ignoredChanges: 1, echoes: 0 });
    expect((await lettersFor(tag)).map((l) => l.reason)).toEqual(['field_not_handled']);
  });
});
