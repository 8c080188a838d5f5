/**
 * Media upload as Meta's media reference documents it (POST /{phone-number-id}/media, multipart/form-data with file,
 * type and messaging_product; https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media):
 * the simulator takes Meta's own curl form and refuses what Meta refuses; the connector's client streams a file it
 * reads chunk by chunk, and the simulator receives exactly those bytes (sha256) with an exact Content-Length.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';
import { CloudApiError, createCloudApiClient } from '../../integrations/broker/cloud-api.client';
import { png } from '../support/media-fixtures';

const TOKEN = 'upload-token';
let sim: BrokerSimulator;
beforeAll(async () => {
  sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'secret', autoStatuses: false });
});
afterAll(async () => sim?.close());
beforeEach(() => sim.reset());

/** Meta's curl example, in its order: file, then type, then messaging_product. */
async function curlLike(file: Blob, filename: string, fields: Record<string, string>, token = TOKEN) {
  const form = new FormData();
  form.set('file', file, filename);
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const response = await fetch(`${sim.url}/v23.0/1065/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: response.status, body: (await response.json()) as { id?: string; error?: { code: number; message: string; error_data?: { details: string } } } };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * `size` bytes of a PDF, opened afresh each time and never held whole, yielded as GridFS yields them: chunks of 255 KB
 * that are views at an offset into a larger buffer (a multipart encoder that ignores `byteOffset` sends other bytes).
 */
function streamedPdf(size: number) {
  const CHUNK = 255 * 1024;
  const slab = Buffer.alloc(3 * CHUNK);
  for (let i = 0; i < slab.length; i += 1) slab[i] = (i * 7919) % 251;
  slab.write('%PDF-1.4\n', CHUNK, 'latin1');
  const chunks = function* () {
    for (let sent = 0, n = 0; sent < size; n += 1) {
      const length = Math.min(CHUNK, size - sent);
      const start = n === 0 ? CHUNK : (n % 3) * 1000;
      yield slab.subarray(start, start + length);
      sent += length;
    }
  };
  const hash = createHash('sha256');
  for (const chunk of chunks()) hash.update(chunk);
  return { open: () => Readable.from(chunks()), size, sha256: hash.digest('hex') };
}

describe('the simulator takes uploads as Meta documents them', () => {
  it("takes Meta's curl form and holds the same bytes under the id it answers", async () => {
    const answer = await curlLike(new Blob([new Uint8Array(png)], { type: 'image/png' }), 'chart.png', { type: 'image/png', messaging_product: 'whatsapp' });
    expect(answer).toMatchObject({ status: 200, body: { id: expect.stringMatching(/^\d+$/) } });
    expect(sim.media(answer.body.id!)?.bytes?.equals(png)).toBe(true);
    expect(sim.uploads()).toEqual([expect.objectContaining({ mediaId: answer.body.id, mimeType: 'image/png', type: 'image/png', filename: 'chart.png', size: png.length, sha256: sha256(png) })]);
  });

  it.each([
    ['a type Meta does not take (GIF)', new Blob([new Uint8Array(8)], { type: 'image/gif' }), { type: 'image/gif', messaging_product: 'whatsapp' }, 400, 100, /^\(#100\) Param file must be a file with one of the following types: audio\/aac, .*Received file of type 'image\/gif'\.$/],
    ['an image over 5 MB', new Blob([new Uint8Array(5 * 1024 * 1024 + 1)], { type: 'image/jpeg' }), { type: 'image/jpeg', messaging_product: 'whatsapp' }, 400, 131053, /^\(#131053\) Media upload error$/],
    ['a sticker over 500 KB', new Blob([new Uint8Array(500 * 1024 + 1)], { type: 'image/webp' }), { type: 'image/webp', messaging_product: 'whatsapp' }, 400, 131053, /Media upload error/],
    ['no messaging_product', new Blob([new Uint8Array(png)], { type: 'image/png' }), { type: 'image/png' }, 400, 100, /messaging_product/],
    ['no type', new Blob([new Uint8Array(png)], { type: 'image/png' }), { messaging_product: 'whatsapp' }, 400, 100, /type/],
  ])('refuses %s with Meta\'s code and stores nothing', async (_name, file, fields, status, code, message) => {
    const answer = await curlLike(file, 'f', fields);
    expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status, code });
    expect(answer.body.error?.message).toMatch(message);
    expect(sim.uploads()).toEqual([]);
  });

  it("refuses an upload cut off before its closing boundary as Meta's invalid parameter (100), and stays up", async () => {
    const cut = (field: string) =>
      fetch(`${sim.url}/v23.0/1065/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'multipart/form-data; boundary=XX' },
        body: `--XX\r\nContent-Disposition: form-data; name="${field}"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG and then nothing`,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: number } } }));
    expect(await cut('file')).toMatchObject({ status: 400, body: { error: { code: 100 } } });
    expect(await cut('other')).toMatchObject({ status: 400, body: { error: { code: 100 } } });
    expect(sim.uploads()).toHaveLength(0);
    expect((await curlLike(new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png', { type: 'image/png', messaging_product: 'whatsapp' })).status).toBe(200);
  });

  it('refuses a wrong token with 190', async () => {
    const answer = await curlLike(new Blob([new Uint8Array(png)], { type: 'image/png' }), 'f.png', { type: 'image/png', messaging_product: 'whatsapp' }, 'wrong');
    expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status: 401, code: 190 });
  });
});

describe("the connector's client streams an upload", () => {
  const client = () => createCloudApiClient({ baseUrl: sim.url, version: 'v23.0', accessToken: TOKEN, timeoutMs: 5_000 });

  it('sends a 40 MB document read chunk by chunk; the broker receives exactly those bytes, with an exact Content-Length', async () => {
    const file = streamedPdf(40 * 1024 * 1024);
    const id = await client().uploadMedia('1065', { ...file, mimeType: 'application/pdf', filename: 'manual-v2.pdf' });
    const [upload] = sim.uploads();
    expect(upload).toMatchObject({ mediaId: id, mimeType: 'application/pdf', type: 'application/pdf', filename: 'manual-v2.pdf', size: file.size, sha256: file.sha256 });
    // The multipart envelope is a few hundred bytes: the length was known before the first byte went.
    expect(upload!.contentLength! - file.size).toBeGreaterThan(0);
    expect(upload!.contentLength! - file.size).toBeLessThan(1024);
  }, 60_000);

  it("turns Meta's refusal of an oversized image into a final (not retried) error with code 131053", async () => {
    const big = Buffer.alloc(6 * 1024 * 1024);
    const upload = client().uploadMedia('1065', { open: () => Readable.from([big]), size: big.length, mimeType: 'image/jpeg', filename: 'big.jpg' });
    await expect(upload).rejects.toMatchObject({ constructor: CloudApiError, httpStatus: 400, code: 131053, retryable: false });
  });
});
