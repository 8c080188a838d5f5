import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * Media WhatsApp refuses after accepting the send reaches the integrator and the agent as a failed message with Meta's
 * code, and nothing else is lost. Meta's "Supported media types"
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types): a static sticker is
 * at most 100 KB (an animated one 500 KB); error 131053 "Media upload error" comes as a `failed` status webhook
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
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

describe('a media send WhatsApp refuses after accepting it', () => {
  it('marks a static sticker over 100 KB failed with 131053 and its meaning, retries nothing, and the conversation goes on', async () => {
    const customer = String((next += 1));
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'send me a sticker' });
    await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');

    // A real static WebP (noise does not compress) between Meta's static (100 KB) and animated (500 KB) limits.
    const sticker = await sharp(randomBytes(240 * 240 * 3), { raw: { width: 240, height: 240, channels: 3 } }).webp({ lossless: true }).toBuffer();
    expect(sticker.length).toBeGreaterThan(100 * 1024);
    expect(sticker.length).toBeLessThan(500 * 1024);
    const uploaded = await upload(sticker, 'image/webp', 'sticker.webp');
    expect(uploaded).toMatchObject({ status: 201, body: { type: 'sticker' } });

    const sent = await rig.request('POST', path(customer, '/messages'), { message: { type: 'sticker', mediaId: uploaded.body.mediaId } });
    expect(sent.status).toBe(202);
    const thread = await eventually(() => rig.request('GET', path(customer, '/messages')), (r) => r.body.messages?.at(-1)?.status === 'failed', 20_000);
    expect(thread.body.messages.at(-1)).toMatchObject({
      status: 'failed',
      sticker: { mediaId: uploaded.body.mediaId },
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
