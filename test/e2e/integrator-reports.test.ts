/**
 * Bugs other connectors' users reported against the WhatsApp Cloud API, replayed here with Meta's documented payloads
 * (signed, posted whole) and checked by what an integrator or agent then sees. Each case names the report it comes from.
 */
import { signBody } from '../../simulator/cloud-api.payloads';
import { eventually } from '../support/workflow-env';
import { pdf } from '../support/media-fixtures';
import { APP_SECRET, BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let next = 15554000000 + Math.floor(Math.random() * 900_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
const now = () => Math.floor(Date.now() / 1000);

/** Meta's messages webhook (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages) for one customer. */
const messagesWebhook = (customer: string, messages: Record<string, unknown>[]) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: WABA_ID,
      changes: [
        {
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID },
            contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: customer }],
            messages: messages.map((m) => ({ from: customer, ...m })),
          },
          field: 'messages',
        },
      ],
    },
  ],
});

const postRaw = async (raw: string) => {
  const response = await fetch(`${rig.baseUrl}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(raw, APP_SECRET) }, body: raw });
  return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('large webhooks (netflie/whatsapp-cloud-api#132, david-lev/pywa#229: batched bodies)', () => {
  it("takes a 1.7 MB body, under Meta's 3 MB, whatever the JSON API's limit: every message reaches the conversation", async () => {
    // Meta: "Webhooks payloads can be up to 3MB" (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks). The
    // rig's JSON API takes 256 KB (HTTP_BODY_LIMIT_BYTES); a phone's offline backlog of long messages is one body.
    const customer = newCustomer();
    const at = now() - 400;
    const messages = Array.from({ length: 300 }, (_, i) => ({ id: `wamid.backlog-${customer}-${i}`, timestamp: String(at + i), type: 'text', text: { body: `${i} ${'é'.repeat(2_500)}` } }));
    const raw = JSON.stringify(messagesWebhook(customer, messages));
    expect(Buffer.byteLength(raw)).toBeGreaterThan(1_500_000);

    const answer = await postRaw(raw);
    expect(answer.status).toBe(200);
    const conversation = await eventually(() => rig.request('GET', path(customer)), (r) => r.body.inboundCount === 300, 120_000);
    expect(conversation.body.state).toBe('openSession');
  }, 180_000);

  it("refuses a body over Meta's 3 MB with 413, storing nothing", async () => {
    const customer = newCustomer();
    const body = messagesWebhook(customer, [{ id: `wamid.huge-${customer}`, timestamp: String(now()), type: 'text', text: { body: 'x'.repeat(3 * 1024 * 1024) } }]);
    expect(await postRaw(JSON.stringify(body))).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
    expect(await rig.store.messages.countDocuments({ _id: `wamid.huge-${customer}` })).toBe(0);
  });
});

/** The customer writes (Meta's text message, signed and posted as Meta posts it) and their window is open. */
async function customerAsks(customer: string, tag: string, text: string): Promise<void> {
  await postRaw(JSON.stringify(messagesWebhook(customer, [{ id: `wamid.${tag}-${customer}`, timestamp: String(now()), type: 'text', text: { body: text } }])));
  await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
}

/** A PDF uploaded by the integrator under `name`; its media id. */
async function uploadPdf(name: string): Promise<string> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(pdf())], { type: 'application/pdf' }), name);
  const upload = await fetch(`${rig.baseUrl}/v1/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${rig.keys.integrator}` } });
  return ((await upload.json()) as { mediaId: string }).mediaId;
}

describe('documents sent without a filename (chatwoot/chatwoot#4481, david-lev/pywa#149: the customer sees "Untitled")', () => {
  it('sends a document under the name it was uploaded with, and shows that name in the thread', async () => {
    const customer = newCustomer();
    await customerAsks(customer, 'ask', 'Can I have the invoice?');

    const mediaId = await uploadPdf('invoice-2026-11.pdf');
    // Meta's document object: "filename: Document filename, with extension" (the icon and the name the customer sees).
    const sent = await rig.request('POST', path(customer, '/messages'), { message: { type: 'document', mediaId, caption: 'Your invoice' } }, { 'idempotency-key': `doc-${customer}` });
    expect(sent.status).toBe(202);

    const atBroker = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.type === 'document'), (m) => m.length === 1);
    expect(atBroker[0]!.body.document).toMatchObject({ caption: 'Your invoice', filename: 'invoice-2026-11.pdf' });
    const thread = (await rig.request('GET', path(customer, '/messages'))).body.messages as { direction: string; document?: { filename?: string } }[];
    expect(thread.find((m) => m.direction === 'outbound')?.document).toMatchObject({ filename: 'invoice-2026-11.pdf' });
  });

  it("names a CTA URL message's document header by its upload too (Meta's media object: filename, documents only)", async () => {
    const customer = newCustomer();
    await customerAsks(customer, 'ask3', 'Where do I pay?');
    const mediaId = await uploadPdf('invoice-2026-12.pdf');
    const cta = { type: 'ctaUrl', header: { type: 'document', mediaId }, body: 'Your invoice', displayText: 'Pay now', url: 'https://pay.example/42' };
    expect((await rig.request('POST', path(customer, '/messages'), { message: cta }, { 'idempotency-key': `cta-${customer}` })).status).toBe(202);
    const [sent] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.type === 'interactive'), (m) => m.length === 1);
    expect(sent!.body).toMatchObject({ interactive: { header: { type: 'document', document: { id: expect.any(String), filename: 'invoice-2026-12.pdf' } } } });
  });

  it('keeps the filename the integrator gives over the uploaded one', async () => {
    const customer = newCustomer();
    await customerAsks(customer, 'ask2', 'And the receipt?');
    const mediaId = await uploadPdf('scan0001.pdf');
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'document', mediaId, filename: 'receipt.pdf' } }, { 'idempotency-key': `doc2-${customer}` });
    const atBroker = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.type === 'document'), (m) => m.length === 1);
    expect(atBroker[0]!.body.document).toMatchObject({ filename: 'receipt.pdf' });
  });
});

describe('a customer document without filename (Meta: filename is optional in the document webhook)', () => {
  it('is served for download as document.pdf, not under a name ending in the wamid', async () => {
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/document:
    // the webhook's document object names `id`, `mime_type`, `sha256` and, only when the phone gave one, `filename`.
    const customer = newCustomer();
    const wamid = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=';
    await rig.simulator.sendInboundMedia({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'document', bytes: pdf(), mimeType: 'application/pdf', wamid: `${wamid}-${customer}` });
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => Boolean(r.body.messages?.[0]?.document?.url));
    const served = await fetch(`${rig.baseUrl}${thread.body.messages[0].document.url as string}`, { headers: { authorization: `Bearer ${rig.keys.agent}` } });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-disposition')).toMatch(/^attachment; filename="?document\.pdf"?$/);
  });
});

describe('held: shapes that crashed other connectors (regression guards, passing before this change)', () => {
  it('takes a contact without profile and a status whose contacts carry only wa_id (netflie#234, evolution-api#2609)', async () => {
    const customer = newCustomer();
    const body = messagesWebhook(customer, [{ id: `wamid.noprofile-${customer}`, timestamp: String(now()), type: 'text', text: { body: '12345 is your code' } }]);
    (body.entry[0]!.changes[0]!.value as { contacts: unknown[] }).contacts = [{ wa_id: customer }];
    expect((await postRaw(JSON.stringify(body))).status).toBe(200);
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Thanks' } }, { 'idempotency-key': `np-${customer}` });
    const sent = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => Boolean(r.body.messages.find((m: { direction: string; wamid?: string }) => m.direction === 'outbound' && m.wamid)));
    const wamid = sent.body.messages.find((m: { direction: string }) => m.direction === 'outbound').wamid as string;
    // Meta's status webhook reference, with the contacts array brokers add (wa_id only, no profile).
    const status = { ...body, entry: [{ id: WABA_ID, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID }, contacts: [{ wa_id: customer }], statuses: [{ id: wamid, status: 'read', timestamp: String(now() + 5), recipient_id: customer }] } }] }] };
    expect(await postRaw(JSON.stringify(status))).toMatchObject({ status: 200, body: { received: { statuses: 1, deadLetters: 0 } } });
    await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages.some((m: { wamid?: string; status: string }) => m.wamid === wamid && m.status === 'read'));
  });

  it('checks the signature over the raw bytes Meta sends, \\u escapes and \\/ included (tawn33y/whatsapp-cloud-api#60)', async () => {
    const customer = newCustomer();
    const raw = JSON.stringify(messagesWebhook(customer, [{ id: `wamid.escaped-${customer}`, timestamp: String(now()), type: 'text', text: { body: 'ESCAPED' } }]))
      .replace('"ESCAPED"', '"Ol\\u00e1 https:\\/\\/shop.example\\/a \\ud83d\\udc4d"')
      .replace('"Sheena Nelson"', '"Jos\\u00e9"');
    expect((await postRaw(raw)).status).toBe(200);
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.length === 1);
    expect(thread.body.messages[0].text).toBe('Olá https://shop.example/a 👍');
  });
});

describe('a template document header by link without filename (david-lev/pywa#149, shridarpatil/whatomate#371: "Untitled")', () => {
  it("sends the link's file name as Meta's filename when the integrator gives none, and the integrator's when given", async () => {
    // Meta's template-messages page: a document parameter is `{link, filename?}`; without filename the phone shows "Untitled".
    await rig.approveTemplate('invoice_ready', 'en_US', 'APPROVED', { header: { format: 'document' }, body: { text: 'Your invoice is attached, thank you.' } });
    const send = (customer: string, document: Record<string, string>) =>
      rig.request('POST', '/v1/conversations', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: customer }, template: { name: 'invoice_ready', language: 'en_US', components: [{ type: 'header', parameters: [{ type: 'document', ...document }] }] } }, { 'idempotency-key': `inv-${customer}` });
    const headerOf = async (customer: string) => {
      const [sent] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.type === 'template'), (m) => m.length === 1);
      const template = sent!.body.template as { components: { type: string; parameters: { document: Record<string, string> }[] }[] };
      return template.components.find((c) => c.type === 'header')!.parameters[0]!.document;
    };
    const plain = newCustomer();
    expect((await send(plain, { link: 'https://cdn.example/files/2026/invoice-77.pdf?sig=abc' })).status).toBe(202);
    expect(await headerOf(plain)).toEqual({ link: 'https://cdn.example/files/2026/invoice-77.pdf?sig=abc', filename: 'invoice-77.pdf' });
    const named = newCustomer();
    await send(named, { link: 'https://cdn.example/files/2026/invoice-78.pdf', filename: 'Invoice November.pdf' });
    expect(await headerOf(named)).toEqual({ link: 'https://cdn.example/files/2026/invoice-78.pdf', filename: 'Invoice November.pdf' });
    // A link whose last segment names no document type gives no name: nothing better than Meta's own would be sent.
    const opaque = newCustomer();
    await send(opaque, { link: 'https://cdn.example/download?id=77' });
    expect(await headerOf(opaque)).toEqual({ link: 'https://cdn.example/download?id=77' });
  });
});
