/**
 * Second round of other connectors' bug reports, replayed against the whole service with Meta's documented payloads
 * (signed, posted whole, as Meta posts them). Each case names the report it comes from; see the README's
 * "Other connectors' bug reports, replayed".
 */
import { eventually } from '../support/workflow-env';
import { mp4, oggOpus } from '../support/media-fixtures';
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { postSignedWebhook } from '../support/signed-webhook';

let rig: ServiceRig;
let next = 15554000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
const now = () => Math.floor(Date.now() / 1000);
const HOUR = 3600;
const metadata = { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID };
const webhook = (value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: WABA_ID, changes: [{ value: { messaging_product: 'whatsapp', metadata, ...value }, field: 'messages' }] }],
});
/** Meta's messages webhook (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages). */
const messagesWebhook = (customer: string, messages: Record<string, unknown>[]) =>
  webhook({ contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: customer }], messages: messages.map((m) => ({ from: customer, ...m })) });
/** Meta's status webhook (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status). */
const statusesWebhook = (statuses: Record<string, unknown>[]) => webhook({ statuses });

const post = (body: unknown) => postSignedWebhook(rig.baseUrl, body);

const thread = async (customer: string) => (await rig.request('GET', path(customer, '/messages'))).body.messages as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('messages Meta delivers late (chatwoot/chatwoot#14739, #13556: shown at webhook time, hours after they were written)', () => {
  it("shows a message at Meta's timestamp and runs its window from then, not from when the webhook came", async () => {
    const customer = newCustomer();
    const writtenAt = now() - 3 * HOUR;
    expect((await post(messagesWebhook(customer, [{ id: `wamid.late-${customer}`, timestamp: String(writtenAt), type: 'text', text: { body: 'Is my order shipped?' } }]))).status).toBe(200);
    const conversation = await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    expect(conversation.body.windowClosesAt).toBe(new Date((writtenAt + 24 * HOUR) * 1000).toISOString());
    expect((await thread(customer))[0]).toMatchObject({ at: new Date(writtenAt * 1000).toISOString() });
  });

  it('keeps a message written more than 24 h before it arrives, without opening a window WhatsApp has closed', async () => {
    // Meta retries an unanswered webhook for up to 7 days; a reply to such a message would get 131047.
    const customer = newCustomer();
    const writtenAt = now() - 26 * HOUR;
    expect((await post(messagesWebhook(customer, [{ id: `wamid.stale-${customer}`, timestamp: String(writtenAt), type: 'text', text: { body: 'Anyone there?' } }]))).status).toBe(200);
    await eventually(() => thread(customer), (m) => m.length === 1);
    const conversation = await eventually(() => rig.request('GET', path(customer)), (r) => r.status === 200 && r.body.inboundCount === 1);
    expect(conversation.body.windowOpen).toBe(false);
    const reply = await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Yes, how can I help?' } }, { 'idempotency-key': `stale-${customer}` });
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('template_required');
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toHaveLength(0);
  });
});

describe('statuses (shridarpatil/frappe_whatsapp#252: one unknown wamid lost the whole batch; chatwoot/chatwoot#14529: delivered → sent)', () => {
  it('records the statuses it knows beside one it does not, and never moves a status back', async () => {
    const customer = newCustomer();
    await post(messagesWebhook(customer, [{ id: `wamid.ask-${customer}`, timestamp: String(now()), type: 'text', text: { body: 'Hello' } }]));
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Hi!' } }, { 'idempotency-key': `st-${customer}` });
    const read = await eventually(() => thread(customer), (m) => m.some((x) => x.direction === 'outbound' && x.status === 'read'));
    const wamid = read.find((x) => x.direction === 'outbound')!.wamid as string;
    // Sent from the WhatsApp Business app or before this connector was installed: no message here has this wamid.
    const unknown = { id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4QUFERjg0NDEzNDdFODU3MUMA', status: 'delivered', timestamp: String(now()), recipient_id: customer };
    const late = { id: wamid, status: 'sent', timestamp: String(now() - 5), recipient_id: customer };
    // Both statuses taken (the bug lost the whole batch at the unknown one): the answer counts two, kept aside none.
    expect(await post(statusesWebhook([unknown, late]))).toMatchObject({ status: 200, body: { received: { statuses: 2, deadLetters: 0 } } });
    // The unknown one is recorded, under its own wamid, for whoever asks for that message later.
    expect(await rig.store.deliveryStatuses.findOne({ _id: `${unknown.id}:delivered` })).toMatchObject({ status: 'delivered' });
    await new Promise((r) => setTimeout(r, 500));
    expect((await thread(customer)).find((x) => x.direction === 'outbound')).toMatchObject({ status: 'read' });
  });
});

describe("a template's quick-reply button tapped (david-lev/pywa#167, chatwoot/chatwoot#12030, botpress/botpress#13803: text and payload lost)", () => {
  it("keeps the button's text and payload and the template it answers, and opens the window", async () => {
    const customer = newCustomer();
    // Meta's button webhook (…/webhooks/reference/messages/button): a quick-reply tap on a template message.
    const body = messagesWebhook(customer, [
      { context: { from: '15550783881', id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBIyNTIzNDU2Nzg5MEFCQ0RFRgA=' }, id: `wamid.btn-${customer}`, timestamp: String(now()), type: 'button', button: { payload: 'imap_pms_3_yes', text: 'Yes' } },
    ]);
    expect((await post(body)).status).toBe(200);
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    expect((await thread(customer))[0]).toMatchObject({ type: 'button', button: { text: 'Yes', payload: 'imap_pms_3_yes' }, context: { messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBIyNTIzNDU2Nzg5MEFCQ0RFRgA=' } });
  });
});

describe('numbers typed with +, spaces or 00 (gabrieldwight/Whatsapp-Business-Cloud-Api-Net#31, joseandrescolmenares/whatsApp-sdk#1: (#100) Invalid parameter)', () => {
  it('sends to the digits Meta takes and keeps one conversation whichever way the number was written', async () => {
    await rig.approveTemplate('order_update', 'en_US');
    const digits = String((next += 1));
    const start = (waId: string, key: string) =>
      rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId }, template: { name: 'order_update', language: 'en_US' } }, { 'idempotency-key': key });
    const spaced = `+${digits.slice(0, 1)} ${digits.slice(1, 4)} ${digits.slice(4, 7)} ${digits.slice(7)}`;
    expect((await start(spaced, `plus-${digits}`)).status).toBe(202);
    expect((await start(`00${digits}`, `zeros-${digits}`)).status).toBe(202);
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.type === 'template' && m.to === digits), (m) => m.length === 2);
    expect(sent.map((m) => m.body.to)).toEqual([digits, digits]);
    expect((await rig.request('GET', path(digits))).body.outboundCount).toBe(2);
  });
});

describe('a template made in WhatsApp Manager, not here (chatwoot/chatwoot#13805: an unsynced template fails with a misleading error)', () => {
  it('is refused with words that say how to get it, then taken into the templates by the sync, and sent', async () => {
    await rig.requestAs('supervisor', 'POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } });
    // Meta's template list entry (GET /<WABA_ID>/message_templates), as WhatsApp Manager made it.
    rig.simulator.seedTemplate({
      wabaId: WABA_ID,
      name: 'delivery_window',
      language: 'pt_BR',
      status: 'APPROVED',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Olá {{1}}, sua entrega chega entre {{2}}.', example: { body_text: [['Maria', '14h e 16h']] } }],
    });
    const customer = newCustomer();
    const template = { name: 'delivery_window', language: 'pt_BR', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Maria' }, { type: 'text', text: '14h e 16h' }] }] };
    const start = (key: string) => rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: customer }, template }, { 'idempotency-key': key });

    const before = await start(`wm1-${customer}`);
    expect(before.status).toBe(422);
    expect(before.body.detail).toMatch(/not known here.*POST \/v1\/templates\/sync/s);

    const sync = await rig.requestAs('supervisor', 'POST', '/v1/templates/sync', {});
    expect(sync).toMatchObject({ status: 200, body: { imported: 1 } });
    const listed = await rig.request('GET', `/v1/templates/${encodeURIComponent(`${BUSINESS_NUMBER_ID}:delivery_window:pt_BR`)}`);
    expect(listed.body).toMatchObject({ status: 'APPROVED', category: 'utility', body: 'Olá {{1}}, sua entrega chega entre {{2}}.' });
    expect((await rig.requestAs('supervisor', 'POST', '/v1/templates/sync', {})).body).toMatchObject({ imported: 0, changed: 0 });

    expect((await start(`wm2-${customer}`)).status).toBe(202);
    const [sent] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.type === 'template'), (m) => m.length === 1);
    expect(sent!.body.template).toMatchObject({ name: 'delivery_window', language: { code: 'pt_BR' } });
  });

  it('names the languages the number has a template in when another one is asked for (Meta would answer 132001)', async () => {
    await rig.approveTemplate('order_update', 'en_US');
    const refused = await rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: newCustomer() }, template: { name: 'order_update', language: 'en' } }, { 'idempotency-key': `lang-${next}` });
    expect(refused).toMatchObject({ status: 422, body: { code: 'template_not_approved' } });
    expect(refused.body.detail).toMatch(/order_update \(en\) is not known here.*has it in en_US/);
    expect(rig.simulator.sent().filter((m) => m.type === 'template' && (m.body.template as { language: { code: string } }).language.code === 'en')).toEqual([]);
  });
});

describe('sends still queued when the window closes (fabrahaingo/joel#314: judged against the window as it was, refused later with 131047)', () => {
  it("sends nothing after the window's end: the rest are failed as WhatsApp would fail them, none lost", async () => {
    // Meta: free-form messages only within 24 h of the customer's last message; after it 131047 "Re-engagement message"
    // (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes). Sends are paced
    // per customer (1 s here, 6 s live), so a burst accepted just before the end is sent after it. The customer writes
    // through the simulator, which then knows their window and fails a free-form send past it with 131047 as Meta does.
    const customer = newCustomer();
    const writtenAt = now() - 24 * HOUR + 3;
    const windowEnd = (writtenAt + 24 * HOUR) * 1000;
    await rig.simulator.deliverWebhook(messagesWebhook(customer, [{ id: `wamid.edge-${customer}`, timestamp: String(writtenAt), type: 'text', text: { body: 'Can you check my order?' } }]));
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    for (let i = 0; i < 6; i += 1) {
      expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: `line ${i}` } }, { 'idempotency-key': `edge${i}-${customer}` })).status).toBe(202);
    }
    const settled = await eventually(
      () => thread(customer),
      (m) => m.filter((x) => x.direction === 'outbound' && ['read', 'failed'].includes(x.status as string)).length === 6,
      30_000,
    );
    const sent = rig.simulator.sent().filter((m) => m.to === customer);
    expect(sent.length).toBeGreaterThan(0);
    const failed = settled.filter((x) => x.direction === 'outbound' && x.status === 'failed');
    // WhatsApp refused nothing: each message it received was delivered and read; each failure is the connector's own,
    // never sent (no wamid).
    const received = new Set(sent.map((m) => m.wamid));
    expect(settled.filter((x) => received.has(x.wamid)).map((x) => x.status)).toEqual(sent.map(() => 'read'));
    for (const m of failed) expect(m.wamid).toBeUndefined();
    for (const m of sent) expect(m.receivedAt.getTime()).toBeLessThan(windowEnd + 250);
    expect(failed.length).toBe(6 - sent.length);
    expect(failed.length).toBeGreaterThan(0);
    for (const m of failed) expect(m.failure).toMatchObject({ code: 131047, reason: 'template_required' });
    expect((await rig.request('GET', path(customer))).body.state).toBe('expiredNeedsTemplate');
  }, 60_000);

  it('sends them all when the customer writes again before their turn: the window is read at the turn, not at acceptance', async () => {
    const customer = newCustomer();
    const writtenAt = now() - 24 * HOUR + 3;
    await rig.simulator.deliverWebhook(messagesWebhook(customer, [{ id: `wamid.edge1-${customer}`, timestamp: String(writtenAt), type: 'text', text: { body: 'Can you check my order?' } }]));
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    for (let i = 0; i < 6; i += 1) await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: `line ${i}` } }, { 'idempotency-key': `again${i}-${customer}` });
    await rig.simulator.deliverWebhook(messagesWebhook(customer, [{ id: `wamid.edge2-${customer}`, timestamp: String(now()), type: 'text', text: { body: 'Still there?' } }]));
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (m) => m.length === 6, 30_000);
    // The simulator knows the window the second message reopened: none is failed by WhatsApp either.
    const outbound = await eventually(() => thread(customer), (m) => m.filter((x) => x.direction === 'outbound' && ['read', 'failed'].includes(x.status as string)).length === 6, 30_000);
    expect(outbound.filter((x) => x.direction === 'outbound' && x.status === 'failed')).toEqual([]);
  }, 60_000);
});

describe('voice messages (NousResearch/hermes-agent#80052, megaapp977/stack#380, evolution-foundation/evo-crm-community#44: a recording arrives as a file)', () => {
  const upload = async (bytes: Buffer, type: string, name: string) => {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(bytes)], { type }), name);
    const answer = await fetch(`${rig.baseUrl}/v1/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${rig.keys.integrator}` } });
    return ((await answer.json()) as { mediaId: string }).mediaId;
  };

  it("sends an OGG (Opus) recording with Meta's voice flag, and refuses the flag on another audio type", async () => {
    // Meta's audio messages page: `audio: {id, voice: true}` makes a voice message (auto-download, microphone icon,
    // transcript, the "played" status); "Voice messages require .ogg files encoded with the OPUS codec".
    const customer = newCustomer();
    await post(messagesWebhook(customer, [{ id: `wamid.v-${customer}`, timestamp: String(now()), type: 'text', text: { body: 'Can you explain by voice?' } }]));
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');

    const voice = await upload(oggOpus(), 'audio/ogg', 'note.ogg');
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'audio', mediaId: voice, voice: true } }, { 'idempotency-key': `v1-${customer}` })).status).toBe(202);
    const [sent] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.type === 'audio'), (m) => m.length === 1);
    expect(sent!.body.audio).toEqual({ id: expect.any(String), voice: true });
    const shown = await eventually(() => thread(customer), (m) => m.some((x) => x.direction === 'outbound' && x.audio));
    expect(shown.find((x) => x.direction === 'outbound')!.audio).toMatchObject({ voice: true, mimeType: 'audio/ogg' });

    const m4a = await upload(mp4(), 'audio/mp4', 'note.m4a');
    const refused = await rig.request('POST', path(customer, '/messages'), { message: { type: 'audio', mediaId: m4a, voice: true } }, { 'idempotency-key': `v2-${customer}` });
    expect(refused).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [{ path: 'message.voice' }] } });
    // Without the flag the same file is a basic audio message, as before.
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'audio', mediaId: m4a } }, { 'idempotency-key': `v3-${customer}` })).status).toBe(202);
    const plain = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.type === 'audio'), (m) => m.length === 2);
    expect(plain[1]!.body.audio).toEqual({ id: expect.any(String) });
  });
});
