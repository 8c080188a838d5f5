/**
 * An uploaded file's name is what the customer sees on a document (Meta's `filename`, "Untitled" without one:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/document-messages/). Browsers
 * and curl send it raw as UTF-8 in the multipart part's header (RFC 7578 §4.2): it must come back as written, and a
 * name that reorders itself on screen (a right-to-left override, `passwd\u202Efdp.exe` showing as `passwdexe.pdf`) or
 * carries control characters is refused before anything is stored.
 */
import { pdf } from '../support/media-fixtures';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

let rig: ServiceRig;
let next = 15556600000 + Math.floor(Math.random() * 300_000);
const newCustomer = () => String((next += 1));
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** As the console and curl send it: the name raw in `Content-Disposition` (undici's FormData writes it as UTF-8). */
function upload(filename: string, role: 'agent' | 'integrator' = 'integrator') {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(pdf(2_000))], { type: 'application/pdf' }), filename);
  return fetch(`${rig.baseUrl}/v1/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${rig.keys[role]}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('uploaded file names', () => {
  it('keeps a Cyrillic and accented name as written, serves it back under it, and the customer receives it under it', async () => {
    const name = 'заказ façture.pdf';
    const uploaded = await upload(name);
    expect(uploaded).toMatchObject({ status: 201, body: { type: 'document', filename: name } });

    const served = await fetch(`${rig.baseUrl}/v1/media/${uploaded.body.mediaId}`, { headers: { authorization: `Bearer ${rig.keys.agent}` } });
    expect(served.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent(name).replace(/'/g, '%27')}`);

    const customer = newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'the invoice, please' });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
    // No filename in the send: the document goes under the name it was uploaded with.
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'document', mediaId: uploaded.body.mediaId } })).status).toBe(202);
    const [delivered] = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1, 30_000);
    expect((delivered!.body.document as { filename?: string }).filename).toBe(name);
    // And the file itself went to WhatsApp's media upload under it (Meta reads the part's name as UTF-8 too).
    const brokerMediaId = (delivered!.body.document as { id: string }).id;
    expect(rig.simulator.uploads().find((u) => u.mediaId === brokerMediaId)?.filename).toBe(name);
  }, 60_000);

  it.each([
    ['a right-to-left override', 'passwd\u202Efdp.exe'],
    ['a right-to-left isolate', 'invoice\u2067fdp.exe\u2069'],
    ['a C1 control', 'report\u0085.pdf'],
  ])('refuses a name with %s: 400 invalid_filename, nothing stored', async (_what, name) => {
    const before = await rig.store.db.collection('media.files').countDocuments();
    const refused = await upload(name, 'agent');
    expect(refused).toMatchObject({ status: 400, body: { code: 'invalid_filename' } });
    expect(refused.body.detail).toMatch(/U\+[0-9A-F]{4}/);
    expect(await rig.store.db.collection('media.files').countDocuments()).toBe(before);
  });

  it('refuses control characters however the name is written: raw in the part header (malformed multipart) or RFC 5987-encoded', async () => {
    const before = await rig.store.db.collection('media.files').countDocuments();
    const raw = (disposition: string) =>
      fetch(`${rig.baseUrl}/v1/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rig.keys.integrator}`, 'content-type': 'multipart/form-data; boundary=XX' },
        body: Buffer.concat([Buffer.from(`--XX\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: application/pdf\r\n\r\n`), pdf(2_000), Buffer.from('\r\n--XX--\r\n')]),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code: string } }));
    expect(await raw('filename="report\u0008.pdf"')).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    expect(await raw("filename*=UTF-8''report%08.pdf")).toMatchObject({ status: 400, body: { code: 'invalid_filename' } });
    expect(await raw("filename*=UTF-8''passwd%E2%80%AEfdp.exe")).toMatchObject({ status: 400, body: { code: 'invalid_filename' } });
    expect(await rig.store.db.collection('media.files').countDocuments()).toBe(before);
    // The same form with a plain name is taken: the refusals above are for the characters.
    expect(await raw("filename*=UTF-8''%D0%B7%D0%B0%D0%BA%D0%B0%D0%B7.pdf")).toMatchObject({ status: 201, body: { filename: 'заказ.pdf' } });
  });

  it('refuses the same characters in a document message\'s filename', async () => {
    const uploaded = await upload('plain.pdf');
    const sent = await rig.request('POST', path(newCustomer(), '/messages'), { message: { type: 'document', mediaId: uploaded.body.mediaId, filename: 'passwd\u202Efdp.exe' } });
    expect(sent.status).toBe(400);
    expect(sent.body.errors).toContainEqual(expect.objectContaining({ path: 'message.filename' }));
  });

  it.each([
    ['a right-to-left override', 'invoice\u202Efdp.exe', 'invoice_fdp.exe'],
    ['a NUL and a line feed', 'report\u0000\nfinal.pdf', 'report__final.pdf'],
  ])("serves a customer's document named with %s under a download name with each such character replaced; the thread keeps the name as sent", async (_what, name, served) => {
    const customer = newCustomer();
    const { wamid } = await rig.simulator.sendInboundMedia({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'document', bytes: pdf(2_000), mimeType: 'application/pdf', filename: name });
    const thread = await eventually(
      () => rig.request('GET', path(customer, '/messages')),
      (r) => r.status === 200 && r.body.messages?.some((m: { wamid?: string; document?: { url?: string } }) => m.wamid === wamid && m.document?.url),
      30_000,
    );
    const document = thread.body.messages.find((m: { wamid?: string }) => m.wamid === wamid).document as { url: string; filename: string };
    expect(document.filename).toBe(name);
    const download = await fetch(`${rig.baseUrl}${document.url}`, { headers: { authorization: `Bearer ${rig.keys.agent}` } });
    expect(download.status).toBe(200);
    const disposition = download.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^attachment; /);
    expect(disposition).not.toMatch(/%E2%80%AE|%00|%0A/i);
    expect(disposition).toContain(served);
  }, 60_000);
});
