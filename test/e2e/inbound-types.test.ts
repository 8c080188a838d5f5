/**
 * Every inbound type Meta's messages webhook reference documents, end to end through the real stack (simulator →
 * signed webhook → API → Temporal → store → thread API), built from Meta's documented payload shapes.
 */
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { jpeg, mp4, oggOpus, pdf, webp } from '../support/media-fixtures';

let rig: ServiceRig;
let next = 15557000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
const UNSUPPORTED_REPLY = 'We cannot read that kind of message yet.';

beforeAll(async () => {
  rig = await startService();
  // The unsupported-type reply is configured, so a message wrongly taken as unsupported would be answered.
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', { autoReplies: { unsupportedType: UNSUPPORTED_REPLY } })).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
}, 60_000);
afterAll(async () => rig?.stop());

/** The thread once `ready` holds for its message with this wamid. */
async function threadMessage(customer: string, wamid: string, ready: (m: Record<string, any>) => boolean = () => true) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const thread = await eventually(
    () => rig.request('GET', path(customer, '/messages')),
    (r) => r.status === 200 && r.body.messages?.some((m: { wamid?: string }) => m.wamid === wamid && ready(m)),
  );
  return thread.body.messages.find((m: { wamid?: string }) => m.wamid === wamid);
}

const autoRepliesTo = (customer: string) => rig.simulator.sent().filter((m) => m.to === customer && (m.body.text as { body?: string } | undefined)?.body === UNSUPPORTED_REPLY);
const handled = (customer: string, count: number) => eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === count);

describe('customer messages of every type', () => {
  const media: [string, () => Promise<Buffer> | Buffer, string, Record<string, unknown>][] = [
    ['image', jpeg, 'image/jpeg', { caption: 'the dent' }],
    ['audio', () => oggOpus(4096), 'audio/ogg; codecs=opus', { voice: true }],
    ['video', () => mp4(8192), 'video/mp4', { caption: 'unboxing' }],
    ['document', () => pdf(20_000), 'application/pdf', { filename: 'invoice 42.pdf', caption: 'my invoice' }],
    ['sticker', webp, 'image/webp', { animated: false }],
  ];

  it.each(media)('stores a customer %s: fetched, checked and served with nosniff and a Content-Disposition', async (type, make, mimeType, extra) => {
    const customer = newCustomer();
    const bytes = await make();
    const { wamid } = await rig.simulator.sendInboundMedia({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: type as never, bytes, mimeType, ...extra });
    const message = await threadMessage(customer, wamid, (m) => Boolean(m[type]?.mediaId || m[type]?.problem));
    expect(message).toMatchObject({ type, direction: 'inbound', [type]: { ...extra, size: bytes.length, mediaId: `in_${wamid}` } });
    expect(message[type].problem).toBeUndefined();
    const served = await fetch(`${rig.baseUrl}${message[type].url}`, { headers: { authorization: `Bearer ${rig.keys.agent}` } });
    expect(served.status).toBe(200);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-disposition')).toMatch(type === 'document' ? /^attachment; filename=.*invoice/ : /^inline/);
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await handled(customer, 1)).body.state).toBe('openSession');
    expect(autoRepliesTo(customer)).toHaveLength(0);
  });

  const structured: [string, unknown, Record<string, unknown>][] = [
    ['location', { latitude: 48.8584, longitude: 2.2945, name: 'Tour Eiffel', address: 'Champ de Mars' }, { location: { latitude: 48.8584, longitude: 2.2945, name: 'Tour Eiffel', address: 'Champ de Mars' } }],
    [
      'contacts',
      [{ name: { formatted_name: 'Ada Lovelace', first_name: 'Ada' }, phones: [{ phone: '+44 20 7946 0000', wa_id: '442079460000', type: 'WORK' }] }],
      { contacts: [{ name: { formatted_name: 'Ada Lovelace', first_name: 'Ada' }, phones: [{ phone: '+44 20 7946 0000', wa_id: '442079460000', type: 'WORK' }] }] },
    ],
    ['button', { text: 'Track it', payload: 'TRACK_991' }, { button: { text: 'Track it', payload: 'TRACK_991' } }],
    ['interactive', { type: 'button_reply', button_reply: { id: 'yes-1', title: 'Yes' } }, { interactive: { type: 'button_reply', id: 'yes-1', title: 'Yes' } }],
    [
      'interactive',
      { type: 'list_reply', list_reply: { id: 'slot-3', title: 'Tuesday 10:00', description: 'In store' } },
      { interactive: { type: 'list_reply', id: 'slot-3', title: 'Tuesday 10:00', description: 'In store' } },
    ],
    [
      'interactive',
      { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: '{"flow_token":"t1","rating":"5"}' } },
      { interactive: { type: 'nfm_reply', name: 'flow', body: 'Sent', responseJson: '{"flow_token":"t1","rating":"5"}' } },
    ],
    [
      'order',
      { catalog_id: 'cat-1', text: 'for Friday', product_items: [{ product_retailer_id: 'sku-7', quantity: 2, item_price: 9.5, currency: 'EUR' }] },
      { order: { catalogId: 'cat-1', text: 'for Friday', productItems: [{ productRetailerId: 'sku-7', quantity: 2, itemPrice: 9.5, currency: 'EUR' }] } },
    ],
  ];

  it.each(structured)('keeps a customer %s with its structured fields, and gives it no unsupported-type reply', async (type, content, expected) => {
    const customer = newCustomer();
    const { wamid } = await rig.simulator.sendInboundMessage({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type, content });
    expect(await threadMessage(customer, wamid)).toMatchObject({ type, direction: 'inbound', ...expected });
    expect((await handled(customer, 1)).body.state).toBe('openSession');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(autoRepliesTo(customer)).toHaveLength(0);
  });

  it("answers only what is really unsupported, keeping Meta's errors[]", async () => {
    const customer = newCustomer();
    const { wamid } = await rig.simulator.sendUnsupported({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, unsupportedType: 'poll_creation' });
    expect(await threadMessage(customer, wamid)).toMatchObject({
      type: 'unsupported',
      unsupported: { type: 'poll_creation', errors: [{ code: 131051, title: 'Message type unknown', details: 'Message type is currently not supported.' }] },
    });
    await eventually(() => Promise.resolve(autoRepliesTo(customer)), (sent) => sent.length === 1);
  });

  it('keeps a quoted reply and a click-to-WhatsApp referral as structured fields', async () => {
    const customer = newCustomer();
    const first = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Where is my order?' });
    const referral = { source_url: 'https://fb.me/ad1', source_id: 'ad-1', source_type: 'ad', headline: 'Sale', media_type: 'image', ctwa_clid: 'ARAk-clid' };
    const { wamid } = await rig.simulator.sendInboundMessage({
      phoneNumberId: BUSINESS_NUMBER_ID,
      from: customer,
      type: 'text',
      content: { body: 'this one' },
      context: { from: customer, id: first.wamid, forwarded: true },
      referral,
    });
    expect(await threadMessage(customer, wamid)).toMatchObject({
      text: 'this one',
      context: { messageId: first.wamid, forwarded: true },
      referral: { sourceUrl: 'https://fb.me/ad1', sourceId: 'ad-1', sourceType: 'ad', headline: 'Sale', mediaType: 'image', ctwaClid: 'ARAk-clid' },
    });
  });
});

describe('media checks', () => {
  it('keeps a problem on the message when the bytes do not hash to the webhook sha256, storing nothing', async () => {
    const customer = newCustomer();
    const { wamid } = await rig.simulator.sendInboundMedia({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'document', bytes: pdf(), mimeType: 'application/pdf', sha256: 'ab'.repeat(32) });
    const message = await threadMessage(customer, wamid, (m) => Boolean(m.document?.problem));
    expect(message.document).toMatchObject({ problem: 'sha256_mismatch' });
    expect(message.document.mediaId).toBeUndefined();
    expect((await rig.request('GET', `/v1/media/in_${wamid}`)).status).toBe(404);
  });

  it('refuses a video that is really a PDF, and a voice note over 16 MB', async () => {
    const customer = newCustomer();
    const video = await rig.simulator.sendInboundMedia({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'video', bytes: pdf(), mimeType: 'video/mp4' });
    expect((await threadMessage(customer, video.wamid, (m) => Boolean(m.video?.problem))).video.problem).toBe('type_mismatch');
    const audio = await rig.simulator.sendInboundMedia({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'audio', bytes: oggOpus(16 * 1024 * 1024 + 1), mimeType: 'audio/ogg', voice: true });
    expect((await threadMessage(customer, audio.wamid, (m) => Boolean(m.audio?.problem))).audio.problem).toBe('too_large');
  });

  it('refuses an upload whose JPEG header is followed by HTML (the whole file must decode), and takes a PDF as a document', async () => {
    const form = (bytes: Buffer, type: string, name: string) => {
      const body = new FormData();
      body.set('file', new Blob([new Uint8Array(bytes)], { type }), name);
      return fetch(`${rig.baseUrl}/v1/media`, { method: 'POST', body, headers: { authorization: `Bearer ${rig.keys.agent}` } }).then(async (r) => ({ status: r.status, body: await r.json() }));
    };
    const polyglot = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('<html><script>alert(document.cookie)</script></html>')]);
    expect(await form(polyglot, 'image/jpeg', 'cat.jpg')).toMatchObject({ status: 422, body: { code: 'invalid_media', problem: 'unreadable_image' } });
    const html = Buffer.from('<!doctype html><script>alert(1)</script>');
    expect(await form(html, 'text/html', 'page.html')).toMatchObject({ status: 422, body: { code: 'invalid_media' } });
    const doc = pdf(50_000);
    const uploaded = await form(doc, 'application/pdf', 'terms.pdf');
    expect(uploaded).toMatchObject({ status: 201, body: { type: 'document', mimeType: 'application/pdf', size: doc.length, filename: 'terms.pdf' } });
    const tooBig = await form(Buffer.concat([await jpeg(), Buffer.alloc(5 * 1024 * 1024)]), 'image/jpeg', 'big.jpg');
    expect(tooBig).toMatchObject({ status: 413, body: { code: 'payload_too_large', limit: '5 MB' } });
  });
});
