/**
 * The media a simulated broker holds, and the two Graph API routes that hand it out as Meta's do
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media): `GET /{version}/{media id}` answers a
 * short-lived URL with the type, sha256 and size, and that URL (authenticated) answers the bytes, streamed;
 * `DELETE /{version}/{media id}` forgets it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import type { SimulatedMedia, StreamedMedia } from './inbound-customer';

export function createMediaStore() {
  const media = new Map<string, SimulatedMedia>();

  /** Keeps bytes (or a stream made on demand) under a new numeric media id, as Meta's ids look. */
  const store = (bytes: Buffer | StreamedMedia, mimeType: string): string => {
    const id = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
    media.set(id, Buffer.isBuffer(bytes) ? { bytes, mimeType, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } : { ...bytes, mimeType });
    return id;
  };

  function installRoutes(app: Express, deps: { authorized: (req: Request) => boolean; refuse: (res: Response, status: number, code: number, message: string) => unknown; baseUrl: () => string }): void {
    app.get('/_media/:mediaId', (req, res) => {
      if (!deps.authorized(req)) return void deps.refuse(res, 401, 190, 'Access token has expired');
      const item = media.get(String(req.params.mediaId));
      if (!item) return void deps.refuse(res, 404, 100, 'Unknown media');
      res.type(item.mimeType).set('content-length', String(item.size));
      if (item.bytes) return void res.send(item.bytes);
      item.open().pipe(res);
    });
    // DELETE /{media id}: Meta keeps uploads 30 days unless deleted (same page); benchmarks free 100 MB this way.
    app.delete('/:version/:mediaId', (req, res) => {
      if (!deps.authorized(req)) return void deps.refuse(res, 401, 190, 'Access token has expired');
      if (!media.delete(String(req.params.mediaId))) return void deps.refuse(res, 404, 100, 'Unknown media');
      res.json({ success: true });
    });
    app.get('/:version/:mediaId', (req, res) => {
      if (!deps.authorized(req)) return void deps.refuse(res, 401, 190, 'Access token has expired');
      const id = String(req.params.mediaId);
      const item = media.get(id);
      if (!item) return void deps.refuse(res, 404, 100, 'Unknown media');
      res.json({ messaging_product: 'whatsapp', url: `${deps.baseUrl()}/_media/${id}`, mime_type: item.mimeType, sha256: item.sha256, file_size: item.size, id });
    });
  }

  return { store, get: (mediaId: string) => media.get(mediaId), installRoutes };
}
