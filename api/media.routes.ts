import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { MAX_IMAGE_BYTES, checkImage } from '../lib/image-check';
import { AppError } from '../lib/errors';
import type { Store } from '../store/db';
import { allow, may } from './auth';
import { findMedia, putMedia, readMedia } from '../store/media.store';

const MediaId = z.string().regex(/^(in|out)_[A-Za-z0-9._=-]{1,200}$/, 'not a media id');

/** Images in both directions: agents upload what they will send, and fetch what customers sent. */
export function mediaRoutes(store: Store): Router {
  const router = Router();
  // One file, kept in memory: it is at most 5 MB and checked before anything is stored.
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_IMAGE_BYTES, files: 1, fields: 5 } });

  router.post('/v1/media', allow(...may.writeConversations), (req, res, next) => {
    upload.single('file')(req, res, (err: unknown) => {
      if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE') return next(new AppError('payload_too_large', 'Images are limited to 5 MB'));
      if (err) return next(new AppError('invalid_request', `The upload could not be read: ${(err as Error).message}`));
      next();
    });
  }, async (req, res) => {
    if (!req.file) throw new AppError('invalid_request', 'Send the image as multipart/form-data in a field named "file"');
    const checked = checkImage(req.file.buffer, req.file.mimetype);
    if ('problem' in checked) throw new AppError('invalid_media', `The image was refused: ${checked.problem}`, { problem: checked.problem });
    const mediaId = `out_${randomUUID().replace(/-/g, '')}`;
    await putMedia(store, mediaId, req.file.buffer, { ...checked, direction: 'outbound' });
    res.status(201).json({ mediaId, ...checked });
  });

  router.get('/v1/media/:mediaId', allow(...may.readConversations), async (req, res) => {
    const mediaId = MediaId.parse(req.params.mediaId);
    const media = await findMedia(store, mediaId);
    if (!media) throw new AppError('unknown_media', `No media ${mediaId}`);
    res.type(media.metadata.mimeType).set('cache-control', 'private, max-age=86400').send(await readMedia(store, mediaId));
  });

  return router;
}
