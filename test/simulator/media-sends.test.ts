/**
 * The simulator refuses the media of a send as Meta does (simulator/media-send.validate.ts), from Meta's "Supported
 * media types" (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types: image
 * JPEG/PNG 5 MB, video MP4/3GPP 16 MB, audio AAC/AMR/MP3/MP4/OGG (Opus only) 16 MB, documents 100 MB, stickers WebP 100 KB static /
 * 500 KB animated) and the error codes page (131053 "Media upload error": "Unable to upload the media used in the
 * message", e.g. an unsupported media type). An unknown `id` is refused in the answer with (#100); what Meta finds when
 * it reads the file or downloads the `link` comes after a 200, as a `failed` status webhook with 131053.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';
import { startStatusSink, type SinkStatus, type StatusSink } from '../support/status-sink';

const TOKEN = 'sim-token';
const NUMBER = '106540352242922';
let sim: BrokerSimulator;
let hook: StatusSink;
let statuses: StatusSink['statuses'];
let files: Server;
let filesUrl = '';

/** A WebP's first bytes: RIFF/WEBP, then VP8X with the animation flag, or a plain VP8 (static) chunk; then padding. */
const webp = (size: number, animated: boolean) => {
  const head = Buffer.alloc(30);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(size - 8, 4);
  head.write(animated ? 'WEBPVP8X' : 'WEBPVP8 ', 8, 'latin1');
  head.writeUInt32LE(10, 16);
  head[20] = animated ? 0x02 : 0;
  return Buffer.concat([head, Buffer.alloc(size - head.length, 7)]);
};
/** An Ogg page holding a codec's identification header (RFC 3533 page header, then `OpusHead` or Vorbis's). */
const ogg = (codec: 'opus' | 'vorbis') => {
  const page = Buffer.alloc(28);
  page.write('OggS', 0, 'latin1');
  page[5] = 0x02; // beginning of stream
  page[26] = 1; // one segment
  page[27] = 19;
  const id = codec === 'opus' ? Buffer.from('OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00', 'latin1') : Buffer.from('\x01vorbis\x00\x00\x00\x00\x01\x44\xac\x00\x00\x00\x00', 'latin1');
  return Buffer.concat([page, id, Buffer.alloc(512, 0)]);
};
const MB = 1024 * 1024;
/** What the file server answers per path: its Content-Type and bytes. */
const served: Record<string, [string, Buffer]> = {
  '/aloe.png': ['image/png', Buffer.alloc(2048, 1)],
  '/huge.jpg': ['image/jpeg', Buffer.alloc(5 * MB + 1, 1)],
  '/invoice.pdf': ['application/pdf', Buffer.alloc(4096, 1)],
  '/clip.mov': ['video/quicktime', Buffer.alloc(4096, 1)],
  '/note.ogg': ['audio/ogg; codecs=opus', Buffer.alloc(4096, 1)],
  '/static.webp': ['image/webp', webp(100 * 1024 + 1, false)],
};

beforeAll(async () => {
  hook = await startStatusSink();
  statuses = hook.statuses;
  files = createServer((req, res) => {
    const file = served[req.url ?? ''];
    if (!file) return void res.writeHead(404, 'Not Found').end();
    res.writeHead(200, { 'content-type': file[0], 'content-length': String(file[1].length) }).end(file[1]);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: 'sim-secret', statusDelayMs: 5, webhookUrl: hook.url });
});
afterAll(async () => {
  await sim?.close();
  await Promise.all([hook?.close(), new Promise((resolve) => files?.close(resolve))]);
});

const send = (body: object) =>
  fetch(`${sim.url}/v23.0/${NUMBER}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505551234', ...body }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any

/** Uploads a file as Meta's media reference shows (`-F file=@…;type=…`), answering its media id. */
async function upload(bytes: Buffer, mimeType: string): Promise<string> {
  const form = new FormData();
  form.set('messaging_product', 'whatsapp');
  form.set('type', mimeType);
  form.set('file', new Blob([bytes], { type: mimeType }), 'file');
  const r = await fetch(`${sim.url}/v23.0/${NUMBER}/media`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
  expect(r.status).toBe(200);
  return ((await r.json()) as { id: string }).id;
}

/** The send's first status after its 200: `sent` when Meta took the media, `failed` with 131053 when it did not. */
async function firstStatus(wamid: string): Promise<SinkStatus> {
  for (let i = 0; i < 200; i += 1) {
    const found = statuses.find((s) => s.id === wamid);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no status for ${wamid}`);
}

async function accepted(body: object): Promise<SinkStatus> {
  const answer = await send(body);
  expect(answer).toMatchObject({ status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
  return firstStatus(answer.body.messages[0].id as string);
}

describe('media sent by uploaded id', () => {
  it("takes each type's documented MIME types: a JPEG image, an MP4 video, OGG audio, a PDF document, a WebP sticker", async () => {
    const cases: [string, Buffer, string][] = [
      ['image', Buffer.alloc(1024, 1), 'image/jpeg'],
      ['video', Buffer.alloc(1024, 1), 'video/mp4'],
      ['audio', Buffer.alloc(1024, 1), 'audio/ogg'],
      ['document', Buffer.alloc(1024, 1), 'application/pdf'],
      ['sticker', webp(2048, false), 'image/webp'],
    ];
    for (const [type, bytes, mimeType] of cases) {
      expect(await accepted({ type, [type]: { id: await upload(bytes, mimeType) } })).toMatchObject({ status: 'sent' });
    }
  });

  it("refuses an id Meta does not hold in the answer, with (#100), and records nothing", async () => {
    const before = sim.sent().length;
    const answer = await send({ type: 'image', image: { id: '1013859600285441', caption: 'The best succulent ever?' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 100, type: 'OAuthException', message: "(#100) Param image['id'] is not a valid whatsapp business account media attachment ID" });
    const header = await send({ type: 'interactive', interactive: { type: 'button', header: { type: 'video', video: { id: '42' } }, body: { text: 'b' }, action: { buttons: [{ type: 'reply', reply: { id: 'y', title: 'Yes' } }] } } });
    expect(header.body.error).toMatchObject({ code: 100, message: expect.stringContaining("interactive['header']['video']['id']") });
    expect(sim.sent()).toHaveLength(before);
  });

  it('fails with 131053 a file of a type the message does not take: a PDF as an image, a PNG as a sticker, a WebP as an image', async () => {
    const cases: [string, string, string][] = [
      ['image', 'application/pdf', 'application/pdf'],
      ['sticker', 'image/png', 'image/png'],
      ['image', 'image/webp', 'image/webp'],
    ];
    for (const [type, mimeType, named] of cases) {
      const failed = await accepted({ type, [type]: { id: await upload(mimeType === 'image/webp' ? webp(2048, false) : Buffer.alloc(1024, 1), mimeType) } });
      expect(failed).toMatchObject({ status: 'failed', errors: [{ code: 131053, title: 'Media upload error', error_data: { details: expect.stringContaining(named) } }] });
    }
  });

  it('takes OGG audio with the Opus codec and fails with 131053 an Ogg Vorbis file ("base audio/ogg not supported")', async () => {
    expect(await accepted({ type: 'audio', audio: { id: await upload(ogg('opus'), 'audio/ogg') } })).toMatchObject({ status: 'sent' });
    const vorbis = await accepted({ type: 'audio', audio: { id: await upload(ogg('vorbis'), 'audio/ogg') } });
    expect(vorbis).toMatchObject({ status: 'failed', errors: [{ code: 131053, error_data: { details: expect.stringContaining('Opus') } }] });
  });

  it('fails with 131053 a static sticker over 100 KB, and takes an animated one of the same size (500 KB)', async () => {
    const staticOne = await accepted({ type: 'sticker', sticker: { id: await upload(webp(100 * 1024 + 1, false), 'image/webp') } });
    expect(staticOne).toMatchObject({ status: 'failed', errors: [{ code: 131053, error_data: { details: expect.stringContaining('100 KB') } }] });
    expect(await accepted({ type: 'sticker', sticker: { id: await upload(webp(100 * 1024 + 1, true), 'image/webp') } })).toMatchObject({ status: 'sent' });
  });
});

describe('media sent by link (Meta downloads it after answering)', () => {
  it('takes a PNG image and an OGG Opus voice note served with their types', async () => {
    expect(await accepted({ type: 'image', image: { link: `${filesUrl}/aloe.png` } })).toMatchObject({ status: 'sent' });
    expect(await accepted({ type: 'audio', audio: { link: `${filesUrl}/note.ogg` } })).toMatchObject({ status: 'sent' });
  });

  it('fails with 131053 a link that answers 404, a JPEG over 5 MB, a PDF as an image, a QuickTime video, a static sticker over 100 KB', async () => {
    const cases: [object, string][] = [
      [{ type: 'image', image: { link: `${filesUrl}/gone.png` } }, 'Downloading media from weblink failed with http code 404'],
      [{ type: 'image', image: { link: `${filesUrl}/huge.jpg` } }, '5 MB'],
      [{ type: 'image', image: { link: `${filesUrl}/invoice.pdf` } }, 'application/pdf'],
      [{ type: 'video', video: { link: `${filesUrl}/clip.mov`, caption: 'A succulent eclipse!' } }, 'video/quicktime'],
      [{ type: 'sticker', sticker: { link: `${filesUrl}/static.webp` } }, '100 KB'],
    ];
    for (const [body, details] of cases) {
      expect(await accepted(body)).toMatchObject({ status: 'failed', errors: [{ code: 131053, error_data: { details: expect.stringContaining(details) } }] });
    }
  });

  it('refuses a link that is no URL in the answer with (#100)', async () => {
    const answer = await send({ type: 'document', document: { link: 'order_abc123.pdf', filename: 'order_abc123.pdf' } });
    expect(answer).toMatchObject({ status: 400, body: { error: { code: 100, message: "(#100) Param document['link'] is not a valid URI." } } });
  });
});
