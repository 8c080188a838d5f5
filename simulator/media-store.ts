/**
 * The media a simulated broker holds, and the two Graph API routes that hand it out as Meta's do
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media): `GET /{version}/{media id}` answers a
 * short-lived URL with the type, sha256 and size, and that URL (authenticated) answers the bytes, streamed;
 * `DELETE /{version}/{media id}` forgets it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import type { SimulatedMedia, StreamedMedia } from './inbound-customer';
import type { StateFile, StateFiles } from './state-file';

/** Meta keeps an upload 30 days unless deleted (the media reference above). */
const KEPT_MS = 30 * 24 * 60 * 60 * 1000;

/** What is kept across restarts (`media.json`, the bytes in `media/<id>`): each file's type, size, sha256 and when it came. */
export interface MediaState {
  media: [id: string, file: { mimeType: string; size: number; sha256: string; storedAt: number }][];
}

/**
 * `state` (`npm start`): the media held is kept across restarts, so a send naming an id uploaded before one is taken
 * as Meta takes it for 30 days (the connector sends an upload again by its id for 29, store/media.store.ts). Files
 * older than 30 days are dropped at start. Streams made on demand (benchmarks' large files) are never kept.
 */
export function createMediaStore(state?: { index: StateFile<MediaState>; files: StateFiles | undefined }) {
  const media = new Map<string, SimulatedMedia>();
  const storedAt = new Map<string, number>();
  const files = state?.files;
  for (const [id, file] of state?.index.load()?.media ?? []) {
    const bytes = Date.now() - file.storedAt < KEPT_MS ? files?.read(id) : undefined;
    if (!bytes) {
      files?.remove(id);
      continue;
    }
    media.set(id, { bytes, mimeType: file.mimeType, size: file.size, sha256: file.sha256 });
    storedAt.set(id, file.storedAt);
  }
  const entry = ([id, at]: [string, number]): MediaState['media'][number] => {
    const { mimeType, size, sha256 } = media.get(id)!;
    return [id, { mimeType, size, sha256, storedAt: at }];
  };
  const save = () => state?.index.save(() => ({ media: [...storedAt].filter(([id]) => media.has(id)).map(entry) }), true);

  /** Keeps bytes (or a stream made on demand) under a new numeric media id, as Meta's ids look. */
  const store = (bytes: Buffer | StreamedMedia, mimeType: string): string => {
    const id = String(BigInt(`0x${randomBytes(7).toString('hex')}`));
    media.set(id, Buffer.isBuffer(bytes) ? { bytes, mimeType, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } : { ...bytes, mimeType });
    if (files && Buffer.isBuffer(bytes)) {
      // The bytes first, then the index naming them: a stop between the two leaves a file no index names, not an id without bytes.
      files.write(id, bytes);
      storedAt.set(id, Date.now());
      save();
    }
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
      const id = String(req.params.mediaId);
      if (!media.delete(id)) return void deps.refuse(res, 404, 100, 'Unknown media');
      if (storedAt.delete(id)) {
        save();
        files?.remove(id);
      }
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
