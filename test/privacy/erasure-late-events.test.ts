/**
 * Events that arrive after an erasure do not bring the person back: the `terminate` of a call still ringing when they
 * were erased (Meta sends it seconds later), a late delivery status of a message sent to them (it names their number
 * and BSUID), and Meta's redelivery of a message of theirs stored before the erasure (Meta redelivers for up to 7
 * days a webhook it thinks unanswered), an echo of what the business sent them from the WhatsApp Business app (a
 * message or a reaction) included.
 * A new message they write afterwards is taken: they are a new contact.
 */
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { campaignCompleted } from '../support/campaign-rig';
import { KEPT_BY_DESIGN, documentsNaming } from '../support/documents-naming';
import { eventually } from '../support/workflow-env';

const DISPLAY = '12025550188';
const suffix = String(Math.floor(Math.random() * 900_000) + 100_000);
const conversationOf = (customer: string) => `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const metadata = { display_phone_number: DISPLAY, phone_number_id: BUSINESS_NUMBER_ID };
let rig: ServiceRig;

beforeAll(async () => {
  // No contact centre listens: the connector's INVITE goes unanswered and the customer's call rings.
  const nobody = await findFreePort();
  const sipPort = await findFreePort();
  rig = await startService({ sip: { connectorUri: `sip:contact-centre@127.0.0.1:${nobody}`, localPort: sipPort } });
  const draft = { routing: { defaultQueue: 'support', defaultSkill: 'voice', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 2 } } };
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
  const number = { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: `+${DISPLAY}`, verificationMethod: 'sms', ownership: { attestedBy: 'Owner', statement: true } };
  expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
  const settings = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, { status: 'ENABLED', sip: { status: 'ENABLED', servers: [{ hostname: '127.0.0.1', port: sipPort }] } });
  expect(settings.status).toBe(200);
  await fetch(`${rig.simulator.url}/_sim/calls/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phoneNumberId: BUSINESS_NUMBER_ID, enabled: true }) });
}, 90_000);
afterAll(async () => rig?.stop());

/** Every collection whose documents name the customer, with how many, but those kept by design. */
const collectionsNaming = (text: string) => documentsNaming(rig.store.db, text, KEPT_BY_DESIGN);

/**
 * The conversation was not started again: no projection, and the answer is 404 or the erased run as it closed
 * (Temporal deletes the closed run asynchronously and answers it until then: README "Erasure", notErasedAtOnce).
 */
async function expectNotStartedAgain(customer: string): Promise<void> {
  expect(await rig.store.conversations.countDocuments({ _id: conversationOf(customer) })).toBe(0);
  const read = await rig.request('GET', `/v1/conversations/${conversationOf(customer)}`);
  expect(read.status === 404 || (read.status === 200 && read.body.state === 'closed')).toBe(true);
}

const erase = (customer: string) => rig.requestAs('supervisor', 'DELETE', `/v1/customers/${customer}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Meta's text message webhook, as the messages webhook reference shows it. */
const textWebhook = (customer: string, wamid: string, text: string) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: WABA_ID, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, contacts: [{ profile: { name: 'Ada' }, wa_id: customer }], messages: [{ from: customer, id: wamid, timestamp: String(Math.floor(Date.now() / 1000) - 5), type: 'text', text: { body: text } }] } }] }],
});

/** Meta's `smb_message_echoes` body: a message the business sent the customer from the WhatsApp Business app. */
const echoWebhook = (customer: string, wamid: string, content: { text: { body: string } } | { reaction: { message_id: string; emoji: string } }) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: WABA_ID, changes: [{ field: 'smb_message_echoes', value: { messaging_product: 'whatsapp', metadata, message_echoes: [{ from: DISPLAY, to: customer, id: wamid, timestamp: String(Math.floor(Date.now() / 1000) - 5), type: Object.keys(content)[0], ...content }] } }] }],
});

describe('events arriving after an erasure', () => {
  it("a ringing call's terminate, arriving after the caller was erased, is not stored: the thread and conversation stay gone", async () => {
    const customer = `1558${suffix}1`;
    const placed = await fetch(`${rig.simulator.url}/_sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, displayPhoneNumber: DISPLAY, hangUpAfterMs: 2_000 }),
    });
    expect(placed.status).toBe(201);
    const callId: string = ((await placed.json()) as { callId: string }).callId;
    const ringing = await eventually(() => rig.request('GET', `/v1/conversations/${conversationOf(customer)}/messages`), (r) => r.body.calls?.length === 1, 20_000);
    const wacid: string = ringing.body.calls[0].wacid;
    expect(wacid).toMatch(/^wacid\./);
    // The call reached the caller's conversation (it opens their window): the ringing call as the user saw it.
    await eventually(() => rig.request('GET', `/v1/conversations/${conversationOf(customer)}`), (r) => r.status === 200 && r.body.lastCalledAt !== null, 20_000);

    // Still ringing when they are erased (as the fresh user's repro: `hangUpAfterMs` counts from an answer that never
    // comes); the connector gives up at its INVITE timeout, and Meta's terminate follows.
    expect(rig.simulator.sip.call(callId)?.finalStatus).toBeUndefined();
    expect((await erase(customer)).status).toBe(200);
    await eventually(async () => rig.simulator.sip.call(callId), (c) => c?.finalStatus !== undefined, 20_000);
    await sleep(2_000);

    const thread = await rig.request('GET', `/v1/conversations/${conversationOf(customer)}/messages`);
    expect(JSON.stringify(thread.body)).not.toContain(wacid);
    await expectNotStartedAgain(customer);
    expect(await collectionsNaming(customer)).toEqual({});
    // Meta's call id carries a phone number in base64: the tombstone keeps only its hash.
    expect(await collectionsNaming(wacid)).toEqual({});
    // The terminate was answered 200 (else Meta redelivers it for days) and kept nowhere, not even as a dead letter.
    const letters = await rig.requestAs('supervisor', 'GET', '/v1/dead-letters');
    expect(JSON.stringify(letters.body)).not.toContain(wacid);
  }, 60_000);

  it('a late delivery status of a message sent to them, naming their number and BSUID, stores nothing that names them', async () => {
    const customer = `1558${suffix}2`;
    await rig.approveTemplate('late_status', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}.', examples: ['Ada'] } });
    await campaignCompleted(rig, 'late_status', [customer]);
    const sent = await eventually(() => rig.store.messages.findOne({ customerKey: customer, direction: 'outbound', wamid: { $exists: true } }), (m) => m !== null, 30_000);
    const wamid = sent!.wamid!;
    expect((await erase(customer)).status).toBe(200);

    // Meta's status webhook (messages webhook reference, "statuses"), with the user's BSUID beside their number.
    const late = await rig.simulator.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: WABA_ID, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, statuses: [{ id: wamid, status: 'read', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: customer, recipient_user_id: `US.late${suffix}` }] } }] }],
    });
    expect(late.finalStatus).toBe(200);
    expect(await collectionsNaming(customer)).toEqual({});
    expect(await collectionsNaming(`US.late${suffix}`)).toEqual({});
    // The wamid carries their number in base64: no delivery status is kept for it either.
    expect(await collectionsNaming(wamid)).toEqual({});
  }, 90_000);

  it("Meta's redelivery of a message stored before the erasure stays a duplicate; a new message afterwards is taken", async () => {
    const customer = `1558${suffix}3`;
    const first = textWebhook(customer, `wamid.late-${suffix}-1`, 'my account number is 12345');
    await rig.simulator.deliverWebhook(first);
    await eventually(() => rig.request('GET', `/v1/conversations/${conversationOf(customer)}/messages`), (r) => r.body.messages?.length === 1, 20_000);
    expect((await erase(customer)).status).toBe(200);

    const again = await rig.simulator.deliverWebhook(first);
    expect(again.finalStatus).toBe(200);
    await sleep(1_500);
    await expectNotStartedAgain(customer);
    const gone = await rig.request('GET', `/v1/conversations/${conversationOf(customer)}/messages`);
    expect(JSON.stringify(gone.body)).not.toContain('12345');
    expect(await collectionsNaming(customer)).toEqual({});
    expect(await collectionsNaming(`wamid.late-${suffix}-1`)).toEqual({});

    await rig.simulator.deliverWebhook(textWebhook(customer, `wamid.late-${suffix}-2`, 'hello again'));
    const thread = await eventually(() => rig.request('GET', `/v1/conversations/${conversationOf(customer)}/messages`), (r) => r.body.messages?.length === 1, 20_000);
    expect(thread.body.messages[0]).toMatchObject({ text: 'hello again' });
  }, 60_000);

  it("Meta's redelivery of an echo (a message or a reaction) the business sent them from the WhatsApp Business app brings nothing back", async () => {
    const customer = `1558${suffix}4`;
    await rig.simulator.deliverWebhook(textWebhook(customer, `wamid.late-${suffix}-3`, 'hello'));
    const echo = echoWebhook(customer, `wamid.late-echo-${suffix}`, { text: { body: 'your parcel code is 98765' } });
    const reaction = echoWebhook(customer, `wamid.late-echo-reaction-${suffix}`, { reaction: { message_id: `wamid.late-${suffix}-3`, emoji: '\u{1F44D}' } });
    await rig.simulator.deliverWebhook(echo);
    await rig.simulator.deliverWebhook(reaction);
    await eventually(() => rig.request('GET', `/v1/conversations/${conversationOf(customer)}/messages`), (r) => r.body.messages?.length === 2 && r.body.messages[0].reactions?.length === 1, 20_000);
    expect((await erase(customer)).status).toBe(200);

    expect((await rig.simulator.deliverWebhook(echo)).finalStatus).toBe(200);
    expect((await rig.simulator.deliverWebhook(reaction)).finalStatus).toBe(200);
    await sleep(500);
    expect(await collectionsNaming(customer)).toEqual({});
    expect(await collectionsNaming(`wamid.late-echo-${suffix}`)).toEqual({});
    expect(await collectionsNaming(`wamid.late-echo-reaction-${suffix}`)).toEqual({});
    expect(await collectionsNaming('98765')).toEqual({});
  }, 60_000);
});
