import { createHash, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { putMedia } from '../../store/media.store';

/**
 * Media WhatsApp would refuse: refused at upload where the connector can tell (`422 invalid_media`), and where it
 * cannot, WhatsApp's refusal after accepting the send reaches the integrator and the agent as a failed message with
 * Meta's code, and nothing else is lost. Meta's "Supported media types"
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types): a static sticker is
 * at most 100 KB (an animated one 500 KB), OGG audio is Opus only; error 131053 "Media upload error" comes as a
 * `failed` status webhook (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
 */
let rig: ServiceRig;
let next = 15554000000 + Math.floor(Math.random() * 900_000);
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

function upload(bytes: Buffer, mimeType: string, filename: string) {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(bytes)], { type: mimeType }), filename);
  return fetch(`${rig.baseUrl}/v1/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${rig.keys.agent}` } }).then(
    async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }), // eslint-disable-line @typescript-eslint/no-explicit-any
  );
}

async function openConversation(): Promise<string> {
  const customer = String((next += 1));
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'send me a sticker' });
  await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
  return customer;
}

/** Real WebP stickers of noise (it does not compress): one frame, or two (animated), between 100 KB and 500 KB. */
const noise = (side: number) => sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } }).png().toBuffer();
const staticSticker = async () => sharp(await noise(240)).webp({ lossless: true }).toBuffer();
const animatedSticker = async () => sharp(await Promise.all([noise(160), noise(160)]), { join: { animated: true } }).webp({ lossless: true, loop: 0 }).toBuffer();
/** An Ogg page carrying a Vorbis identification header (RFC 3533, then Vorbis's), not Opus. */
const oggVorbis = () => {
  const page = Buffer.alloc(28);
  page.write('OggS', 0, 'latin1');
  page[5] = 0x02;
  page[26] = 1;
  page[27] = 30;
  return Buffer.concat([page, Buffer.from('\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00', 'latin1'), Buffer.alloc(600, 0)]);
};

describe('media WhatsApp would refuse', () => {
  it('refuses at upload a static sticker over 100 KB and OGG audio that is not Opus, and takes an animated sticker of that size', async () => {
    const still = await staticSticker();
    expect(still.length).toBeGreaterThan(100 * 1024);
    expect(await upload(still, 'image/webp', 'sticker.webp')).toMatchObject({ status: 413, body: { code: 'payload_too_large', problem: 'too_large', limit: expect.stringContaining('100 KB static') } });
    expect(await upload(oggVorbis(), 'audio/ogg', 'note.ogg')).toMatchObject({ status: 422, body: { code: 'invalid_media', problem: 'not_allowed_type', detail: expect.stringContaining('Opus') } });

    const moving = await animatedSticker();
    expect(moving.length).toBeGreaterThan(100 * 1024);
    expect(moving.length).toBeLessThan(500 * 1024);
    const uploaded = await upload(moving, 'image/webp', 'party.webp');
    expect(uploaded).toMatchObject({ status: 201, body: { type: 'sticker' } });
    const customer = await openConversation();
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'sticker', mediaId: uploaded.body.mediaId } })).status).toBe(202);
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => ['delivered', 'read', 'failed'].includes(r.body.messages?.at(-1)?.status), 20_000);
    expect(thread.body.messages.at(-1)).toMatchObject({ sticker: { mediaId: uploaded.body.mediaId } });
    expect(thread.body.messages.at(-1).status).not.toBe('failed');
  }, 60_000);

  it('marks failed with 131053 and its meaning a static sticker over 100 KB stored before the upload check, retries nothing, and the conversation goes on', async () => {
    const customer = await openConversation();
    // Stored as an upload accepted before the connector judged a sticker's animation (the old 500 KB rule).
    const sticker = await staticSticker();
    const mediaId = `out_${randomBytes(16).toString('hex')}`;
    await putMedia(rig.store, mediaId, sticker, { mimeType: 'image/webp', size: sticker.length, sha256: createHash('sha256').update(sticker).digest('hex'), direction: 'outbound', type: 'sticker' } as never);

    const sent = await rig.request('POST', path(customer, '/messages'), { message: { type: 'sticker', mediaId } });
    expect(sent.status).toBe(202);
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.at(-1)?.status === 'failed', 20_000);
    expect(thread.body.messages.at(-1)).toMatchObject({
      status: 'failed',
      sticker: { mediaId },
      failure: { code: 131053, title: 'Media upload error', reason: 'broker_rejected', details: expect.stringContaining('100 KB'), meaning: expect.stringContaining('sticker') },
    });
    // WhatsApp took the send once; a refusal is final, so it is not sent again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(rig.simulator.sent().filter((m) => m.to === customer && m.type === 'sticker')).toHaveLength(1);

    expect((await rig.request('GET', path(customer))).body.state).toBe('openSession');
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'Sorry, here it is in words' } })).status).toBe(202);
    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.type === 'text'), (s) => s.length === 1);
  }, 60_000);
});
