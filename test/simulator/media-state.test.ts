import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectMetaError, graph, PHONE_NUMBER_ID, startReceiver, startSim, TOKEN, type Json } from '../conformance/support';

/**
 * `npm start` restarted on one `.data`: media the connector uploaded is kept by WhatsApp for 30 days ("All media files
 * sent through this endpoint are encrypted and persist for 30 days, unless they are deleted earlier",
 * https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media), and the connector sends an upload again
 * by its id for 29 days (store/media.store.ts). A simulator that forgot its uploads on a restart refused those sends
 * with #100 ("not a valid whatsapp business account media attachment ID"). The restarted simulator still holds the
 * upload (same id, type, size, sha256, bytes) and takes a send naming it; a deleted one stays gone.
 */
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let stateDir: string;
beforeAll(async () => {
  receiver = await startReceiver();
  stateDir = mkdtempSync(join(tmpdir(), 'sim-media-state-'));
});
afterAll(async () => {
  await receiver.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2_000, 7)]);

async function upload(sim: Awaited<ReturnType<typeof startSim>>, bytes: Buffer, mimeType: string): Promise<string> {
  const form = new FormData();
  form.set('messaging_product', 'whatsapp');
  form.set('type', mimeType);
  form.set('file', new Blob([bytes], { type: mimeType }), 'photo.png');
  const answer = await fetch(`${sim.url}/v23.0/${PHONE_NUMBER_ID}/media`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { id: string }).id;
}
const imageSend = (id: string) => ({ messaging_product: 'whatsapp', to: '15551234567', type: 'image', image: { id } });

describe('the simulator restarted on its state directory (media)', () => {
  it('still holds an upload and takes a send naming it; a deleted upload stays gone', async () => {
    const first = await startSim({ webhookUrl: receiver.url, stateDir });
    let kept: string;
    let deleted: string;
    let described: Json;
    try {
      kept = await upload(first, png, 'image/png');
      deleted = await upload(first, png, 'image/png');
      described = (await graph(first, 'GET', kept)).body;
      expect(await graph(first, 'DELETE', deleted)).toMatchObject({ status: 200, body: { success: true } });
    } finally {
      await first.close();
    }

    const second = await startSim({ webhookUrl: receiver.url, stateDir });
    try {
      const again = await graph(second, 'GET', kept!);
      expect(again).toMatchObject({ status: 200, body: { id: kept!, mime_type: 'image/png', file_size: png.length, sha256: described!.sha256 } });
      const bytes = await fetch(again.body.url as string, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(Buffer.from(await bytes.arrayBuffer()).equals(png)).toBe(true);
      const sent = await graph(second, 'POST', `${PHONE_NUMBER_ID}/messages`, imageSend(kept!));
      expect(sent).toMatchObject({ status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
      expectMetaError(await graph(second, 'POST', `${PHONE_NUMBER_ID}/messages`, imageSend(deleted!)), 100);
    } finally {
      await second.close();
    }
  }, 30_000);
});
