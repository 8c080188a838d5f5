/**
 * A fresh user's reports (fix5-data), through the real stack with signed webhooks as Meta sends them:
 * 1. a dead letter's identity includes what tells two events apart (field, the entry's account id and time, business
 *    number), so two accounts' equal values keep a letter each, while a redelivery of the same body keeps one;
 * 2. a `from_user_id` / `to_user_id` that is not a BSUID
 *    (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/) never
 *    becomes a conversation key: the number is used where given, else the part is a `no_customer` dead letter;
 * 3. the answer's `received.deadLetters` counts `field_not_handled` letters newly kept (a redelivery 0), and an
 *    `smb_message_echoes` change with no echoes says so.
 */
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { postSignedWebhook } from '../support/signed-webhook';
import { eventually } from '../support/workflow-env';

let rig: ServiceRig;
const DISPLAY = '15550783881';
const METADATA = { display_phone_number: DISPLAY, phone_number_id: BUSINESS_NUMBER_ID };
let next = 15559700000 + Math.floor(Math.random() * 90_000);
const newNumber = () => String((next += 1));
const unique = () => Math.random().toString(36).slice(2);
const post = (body: object) => postSignedWebhook(rig.baseUrl, body);
const conversation = (key: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${key}`)}${rest}`;
type Letter = { reason: string; field: string; raw: string; detail: string; context?: string };
const letters = async (reason: string) => (await rig.requestAs('supervisor', 'GET', `/v1/dead-letters?reason=${reason}&limit=500`)).body.deadLetters as Letter[];
/** Whatever the store holds under the conversation keyed `key` (404 when none), as a string to search in. */
const underKey = async (key: string) => JSON.stringify([(await rig.requestAs('supervisor', 'GET', conversation(key))).body, (await rig.requestAs('supervisor', 'GET', conversation(key, '/messages'))).body]);

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

const change = (entryId: string, time: number, field: string, value: unknown) => ({ object: 'whatsapp_business_account', entry: [{ id: entryId, time, changes: [{ field, value }] }] });

describe('dead letters: one per event, counted in the answer', () => {
  it('keeps two accounts’ equal account_review_update values apart, one letter per redelivered body, deadLetters 1 then 0', async () => {
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_review_update/
    const decision = `APPROVED-${unique()}`;
    const first = change('111', 1700000000, 'account_review_update', { decision });
    const second = change('222', 1700000100, 'account_review_update', { decision });
    expect(await post(first)).toMatchObject({ status: 200, body: { received: { ignoredChanges: 1, deadLetters: 1 } } });
    expect(await post(second)).toMatchObject({ status: 200, body: { received: { ignoredChanges: 1, deadLetters: 1 } } });
    // Meta delivers the first body again: acknowledged, no new letter, none counted.
    expect(await post(first)).toMatchObject({ status: 200, body: { received: { ignoredChanges: 1, deadLetters: 0 } } });
    const kept = (await letters('field_not_handled')).filter((l) => l.raw.includes(decision));
    expect(kept.map((l) => (JSON.parse(l.context ?? '{}') as { entry: { id: string } }).entry.id).sort()).toEqual(['111', '222']);
  });

  it('keeps the same value under two fields apart', async () => {
    const value = { decision: `x-${unique()}` };
    expect((await post(change(WABA_ID, 1700000200, 'account_review_update', value))).body.received).toMatchObject({ deadLetters: 1 });
    expect((await post(change(WABA_ID, 1700000200, 'phone_number_name_update', value))).body.received).toMatchObject({ deadLetters: 1 });
    expect((await letters('field_not_handled')).filter((l) => l.raw.includes(value.decision)).map((l) => l.field).sort()).toEqual(['account_review_update', 'phone_number_name_update']);
  });

  it('an smb_message_echoes change with no echoes says it carried none (echoes are acted on)', async () => {
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
    const tag = unique();
    const answer = await post(change(WABA_ID, 1700000300, 'smb_message_echoes', { messaging_product: 'whatsapp', metadata: { ...METADATA, tag }, message_echoes: [] }));
    expect(answer).toMatchObject({ status: 200, body: { received: { ignoredChanges: 1, deadLetters: 1, echoes: 0 } } });
    const letter = (await letters('field_not_handled')).find((l) => l.raw.includes(tag));
    expect(letter?.detail).toContain('carried no message_echoes');
    expect(letter?.detail).not.toContain('does not act on it');
  });
});

describe('a user id that is not a BSUID never keys a conversation', () => {
  const inbound = (message: Record<string, unknown>, contact: Record<string, unknown>) =>
    change(WABA_ID, Math.floor(Date.now() / 1000), 'messages', { messaging_product: 'whatsapp', metadata: METADATA, contacts: [{ profile: { name: 'Ada' }, ...contact }], messages: [message] });
  const text = (id: string) => ({ id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hi' } });

  it('an inbound message with from_user_id "<script>" alone is a no_customer letter, no conversation <script>', async () => {
    const wamid = `wamid.script-${unique()}`;
    const answer = await post(inbound({ ...text(wamid), from_user_id: '<script>' }, { user_id: '<script>' }));
    expect(answer).toMatchObject({ status: 200, body: { received: { deadLetters: 1 } } });
    expect((await letters('no_customer')).find((l) => l.raw.includes(wamid))?.detail).toContain('not a BSUID');
    expect(await underKey('<script>')).not.toContain(wamid);
  });

  it('an inbound message with a number and from_user_id "<script>" is filed under the number', async () => {
    const number = newNumber();
    const wamid = `wamid.numbered-${unique()}`;
    expect(await post(inbound({ ...text(wamid), from: number, from_user_id: '<script>' }, { wa_id: number, user_id: '<script>' }))).toMatchObject({ status: 200, body: { received: { messages: 1, deadLetters: 0 } } });
    await eventually(() => rig.requestAs('supervisor', 'GET', conversation(number, '/messages')), (r) => JSON.stringify(r.body).includes(wamid), 20_000);
    expect(await underKey('<script>')).not.toContain(wamid);
    const lookup = await rig.requestAs('supervisor', 'GET', `/v1/customers?identifier=${number}`);
    expect(JSON.stringify(lookup.body)).not.toContain('<script>');
  }, 60_000);

  it('an echo with to_user_id "<script>" alone is a no_customer letter, not a thread <script>', async () => {
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes
    const wamid = `wamid.echo-script-${unique()}`;
    const echo = { from: DISPLAY, to_user_id: '<script>', id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hello' } };
    const answer = await post(change(WABA_ID, Math.floor(Date.now() / 1000), 'smb_message_echoes', { messaging_product: 'whatsapp', metadata: METADATA, message_echoes: [echo] }));
    expect(answer).toMatchObject({ status: 200, body: { received: { echoes: 0, deadLetters: 1 } } });
    expect((await letters('no_customer')).some((l) => l.raw.includes(wamid))).toBe(true);
    expect(await underKey('<script>')).not.toContain(wamid);
  });

  it('a call with from_user_id "<b>" alone is a no_customer letter, no conversation <b>', async () => {
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/
    const wacid = `wacid.b-${unique()}`;
    const call = { id: wacid, to: DISPLAY, from_user_id: '<b>', direction: 'USER_INITIATED', event: 'connect', timestamp: String(Math.floor(Date.now() / 1000)), session: { sdp_type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' } };
    const answer = await post(change(WABA_ID, Math.floor(Date.now() / 1000), 'calls', { messaging_product: 'whatsapp', metadata: METADATA, contacts: [{ profile: { name: 'Ada' }, user_id: '<b>' }], calls: [call] }));
    expect(answer).toMatchObject({ status: 200, body: { received: { callEvents: 0, deadLetters: 1 } } });
    expect((await letters('no_customer')).some((l) => l.raw.includes(wacid))).toBe(true);
    expect((await rig.requestAs('supervisor', 'GET', conversation('<b>'))).status).toBe(404);
  });
});
