/**
 * Coexistence echoes (`smb_message_echoes`, https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes)
 * that are not a plain message: a reaction the business gave from the WhatsApp Business app, shown on the message it
 * names as a customer's reaction is (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/reaction:
 * an empty emoji removes it); and echoes whose addressing cannot be right, kept as dead letters, not in a thread.
 */
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { postSignedWebhook } from '../support/signed-webhook';

let rig: ServiceRig;
let next = 15559400000 + Math.floor(Math.random() * 90_000);
const newCustomer = () => String((next += 1));
const DISPLAY = '15550783881';
const METADATA = { display_phone_number: DISPLAY, phone_number_id: BUSINESS_NUMBER_ID };
const path = (customer: string, numberId = BUSINESS_NUMBER_ID) => `/v1/conversations/${encodeURIComponent(`wa:${numberId}:${customer}`)}/messages`;
const seconds = (ms: number) => Math.floor(ms / 1000);
const unique = () => Math.random().toString(36).slice(2);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Meta's documented body: `message_echoes[]` under the `smb_message_echoes` field. */
const echoBody = (echoes: Json[], metadata: Json = METADATA) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: WABA_ID, changes: [{ value: { messaging_product: 'whatsapp', metadata, message_echoes: echoes }, field: 'smb_message_echoes' }] }],
});
const post = (body: object) => postSignedWebhook(rig.baseUrl, body);
const reactionEcho = (to: string, messageId: string, emoji: string, at = seconds(Date.now())) => ({ from: DISPLAY, to, id: `wamid.echo-${unique()}`, timestamp: String(at), type: 'reaction', reaction: { message_id: messageId, emoji } });
const textEcho = (from: string, to: string, body: string) => ({ from, to, id: `wamid.echo-${unique()}`, timestamp: String(seconds(Date.now())), type: 'text', text: { body } });
const thread = async (customer: string, numberId?: string) => (await rig.requestAs('supervisor', 'GET', path(customer, numberId))).body.messages as Json[];
const lettersFor = async (wamid: string) =>
  ((await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?limit=500')).body.deadLetters as { field: string; raw: string; reason: string; detail: string }[]).filter((l) => l.raw.includes(wamid));

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('a reaction given from the WhatsApp Business app', () => {
  it("is shown on the message it names, as a customer's reaction is, once per wamid, and an empty emoji takes it back", async () => {
    const customer = newCustomer();
    const { wamid: asked } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Is the blue one in stock?' });
    await eventually(() => thread(customer), (t) => t.length === 1);
    const given = reactionEcho(customer, asked, '👍', seconds(Date.now()) - 5);
    expect((await post(echoBody([given]))).body.received).toMatchObject({ echoes: 1, deadLetters: 0 });

    const shown = await thread(customer);
    // No entry of its own: the thread is still the customer's one message, the reaction on it.
    expect(shown.map((m) => m.wamid)).toEqual([asked]);
    expect(shown[0]!.reactions).toEqual([{ emoji: '👍', by: 'business_app', at: new Date(Number(given.timestamp) * 1000).toISOString() }]);

    // Meta delivers it again: a duplicate, still one reaction.
    expect((await post(echoBody([given]))).body.received).toMatchObject({ echoes: 1, duplicates: 1, deadLetters: 0 });
    expect((await thread(customer))[0]!.reactions).toHaveLength(1);

    // The business takes its reaction back from the app: Meta's reaction with an empty emoji.
    const removed = reactionEcho(customer, asked, '');
    expect((await post(echoBody([removed]))).body.received).toMatchObject({ echoes: 1, deadLetters: 0 });
    const after = await thread(customer);
    expect(after.map((m) => m.wamid)).toEqual([asked]);
    expect(after[0]!.reactions).toBeUndefined();
    expect(await lettersFor(given.id)).toEqual([]);
  });
});

describe('echoes whose addressing cannot be right', () => {
  it("keeps an echo to the business's own number and one not from the business number as dead letters, beside a right one stored", async () => {
    const customer = newCustomer();
    const toSelf = textEcho(DISPLAY, `+${DISPLAY}`, 'note to self');
    const notOurs = textEcho('15550000001', customer, 'who sent this?');
    const right = textEcho(`+${DISPLAY}`, customer, 'Your parcel left today');
    const answer = await post(echoBody([toSelf, notOurs, right]));
    expect(answer.status).toBe(200);
    expect(answer.body.received).toMatchObject({ echoes: 1, deadLetters: 2 });

    expect((await lettersFor(toSelf.id)).map((l) => [l.field, l.reason])).toEqual([['smb_message_echoes', 'no_customer']]);
    expect((await lettersFor(toSelf.id))[0]!.detail).toMatch(/own number/);
    expect((await lettersFor(notOurs.id)).map((l) => [l.field, l.reason])).toEqual([['smb_message_echoes', 'message_unreadable']]);
    expect((await lettersFor(notOurs.id))[0]!.detail).toMatch(/15550000001.*15550783881/);
    expect((await thread(customer)).map((m) => m.wamid)).toEqual([right.id]);
    expect((await rig.requestAs('supervisor', 'GET', path(DISPLAY))).status).toBe(404);
  });

  it('checks `from` against the display number a supervisor registered for the phone number id', async () => {
    const numberId = String(800000000000000 + Math.floor(Math.random() * 1e14));
    const registered = `120255501${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
    expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', { phoneNumberId: numberId, displayNumber: `+${registered}`, verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } })).status).toBe(201);
    const customer = newCustomer();
    // The metadata claims another display number than the one registered for this id: `from` must be the registered one.
    const metadata = { display_phone_number: '15550009999', phone_number_id: numberId };
    const stranger = textEcho('15550009999', customer, 'not the registered number');
    const ours = textEcho(registered, customer, 'from the registered number');
    expect((await post(echoBody([stranger, ours], metadata))).body.received).toMatchObject({ echoes: 1, deadLetters: 1 });
    expect((await lettersFor(stranger.id)).map((l) => l.reason)).toEqual(['message_unreadable']);
    expect((await thread(customer, numberId)).map((m) => m.wamid)).toEqual([ours.id]);
  });
});
