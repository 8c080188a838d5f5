import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { create as contentDisposition } from 'content-disposition';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors';
import { downloadFilename, truncateFilename, unsafeFilenameCharacter } from '../lib/file-names';
import { MAX_MEDIA_BYTES, defaultFilename } from '../lib/media-limits';
import { takeMedia, type IntakeResult } from '../services/media-intake';
import type { Store } from '../store/db';
import { allow, may } from './auth';
import { findMedia, openMediaDownload } from '../store/media.store';
import { parseIn } from './request';

const MediaId = z.string().regex(/^(in|out)_[A-Za-z0-9._=-]{1,200}$/, 'not a media id');

/** Types a browser may show in the page (still never sniffed); anything else downloads as a file. */
const inlineTypes = new Set(['image', 'audio', 'video', 'sticker']);

/**
 * Media in both directions: agents and integrators upload what they will send, supervisors a template's header
 * sample (every type WhatsApp takes, streamed, never held in memory), and all fetch what customers sent.
 */
export function mediaRoutes(store: Store): Router {
  const router = Router();

  router.post('/v1/media', allow(...may.uploadMedia), async (req, res) => {
    if (!req.is('multipart/form-data')) throw new AppError('invalid_request', 'Send the file as multipart/form-data in a field named "file"');
    const mediaId = `out_${randomUUID().replace(/-/g, '')}`;
    const result = await receiveUpload(req, store, mediaId);
    if (result.outcome === 'refused') {
      // What the client is still sending is not read: close the connection after the answer.
      if (result.problem === 'too_large') {
        res.set('connection', 'close');
        throw new AppError('payload_too_large', `The file is ${result.detail}`, { problem: result.problem, limit: result.limit });
      }
      throw new AppError('invalid_media', `The file was refused: ${result.detail}`, { problem: result.problem });
    }
    const { mimeType, size, sha256, type, filename } = result.metadata;
    res.status(201).json({ mediaId, type, mimeType, size, sha256, ...(filename ? { filename } : {}) });
  });

  router.get('/v1/media/:mediaId', allow(...may.readConversations), async (req, res) => {
    const mediaId = parseIn('path', MediaId, req.params.mediaId, 'mediaId');
    const media = await findMedia(store, mediaId);
    if (!media) throw new AppError('unknown_media', `No media ${mediaId}`);
    const { mimeType, size, type, filename } = media.metadata;
    const inline = inlineTypes.has(type ?? 'image');
    res
      .status(200)
      .type(mimeType)
      .set({
        'content-length': String(size),
        // A stored file is only ever what its checked type says: the browser must not guess otherwise, nor run it.
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
        // Without the customer's name, `document.pdf`: the media id ends in the wamid's base64, no usable extension.
        // A customer's name may carry a U+202E or controls (refused on upload, kept as sent from WhatsApp): the browser
        // saving it would show the spoofed name, so the header's name has them replaced (the thread's JSON keeps it).
        'content-disposition': contentDisposition(downloadFilename(filename ?? defaultFilename(type, mimeType)), { type: inline ? 'inline' : 'attachment' }),
        'cache-control': 'private, max-age=86400',
      });
    await pipeline(openMediaDownload(store, mediaId), res);
  });

  return router;
}

/** Streams the multipart field `file` through the media checks into GridFS; other fields are read and ignored. */
function receiveUpload(req: Request, store: Store, mediaId: string): Promise<IntakeResult> {
  return new Promise<IntakeResult>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // Browsers and curl write the part's file name as raw UTF-8 (RFC 7578 §4.2); busboy's default reads it as Latin-1.
      parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fields: 5, fileSize: MAX_MEDIA_BYTES + 1 } });
    } catch (err) {
      return reject(new AppError('invalid_request', `The upload could not be read: ${(err as Error).message}`));
    }
    let taken = false;
    const unreadable = (err: Error) => reject(new AppError('invalid_request', `The upload could not be read: ${err.message}`));
    parser.on('file', (field: string, stream: Readable, info: busboy.FileInfo) => {
      // At once, on every part: a body cut off before its closing boundary errors the part's stream ("Unexpected end
      // of form"), possibly before the intake's pipeline listens; unheard, that error would end the process.
      stream.on('error', unreadable);
      if (field !== 'file' || taken) return void stream.resume();
      taken = true;
      const unsafe = info.filename ? unsafeFilenameCharacter(info.filename) : undefined;
      if (unsafe) {
        stream.resume();
        return reject(new AppError('invalid_filename', `The file name contains ${unsafe}: rename the file without control or bidirectional formatting characters`, { character: unsafe }));
      }
      takeMedia(store, {
        mediaId,
        source: stream,
        direction: 'outbound',
        ...(info.mimeType ? { declaredMimeType: info.mimeType } : {}),
        ...(info.filename ? { filename: truncateFilename(info.filename, 240) } : {}),
      }).then(resolve, reject);
    });
    parser.on('error', unreadable);
    parser.on('close', () => {
      if (!taken) reject(new AppError('invalid_request', 'Send the file as multipart/form-data in a field named "file"'));
    });
    req.pipe(parser);
  });
}
