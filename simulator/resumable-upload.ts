/**
 * Meta's Resumable Upload API, the way template media samples reach WhatsApp (`header_handle`):
 * https://developers.facebook.com/docs/graph-api/resumable-upload-api
 * 1. POST /{version}/{app-id}/uploads?file_name&file_length&file_type → { id: "upload:<session>" }
 * 2. POST /{version}/upload:<session> with header `file_offset` and the bytes → { h: "<file handle>" }
 *    GET  /{version}/upload:<session> → { id, file_offset } to resume.
 */
import { randomBytes } from 'node:crypto';
import express, { type Express, type Request } from 'express';
import { refusal, sendMetaError } from './errors';

/** MIME types the Resumable Upload API takes. */
export const UPLOAD_FILE_TYPES = ['application/pdf', 'image/jpeg', 'image/jpg', 'image/png', 'video/mp4'];

interface Session {
  fileLength: number;
  fileType: string;
  bytes: Buffer;
}

export function installResumableUpload(app: Express, accessToken: string) {
  const sessions = new Map<string, Session>();
  const handles = new Map<string, { bytes: Buffer; mimeType: string }>();
  // Step 1 takes the token as a query parameter or a header; step 2 as `Authorization: OAuth <token>`.
  const authorized = (req: Request) =>
    req.query.access_token === accessToken || [`OAuth ${accessToken}`, `Bearer ${accessToken}`].includes(req.get('authorization') ?? '');

  app.post('/:version/:appId/uploads', (req, res) => {
    if (!authorized(req)) return sendMetaError(res, refusal(190, 'Invalid OAuth access token'));
    const fileLength = Number(req.query.file_length);
    const fileType = String(req.query.file_type ?? '');
    if (!Number.isInteger(fileLength) || fileLength <= 0) return sendMetaError(res, refusal(100, 'file_length: the size of the file in bytes is required'));
    if (!UPLOAD_FILE_TYPES.includes(fileType)) return sendMetaError(res, refusal(100, `file_type: one of ${UPLOAD_FILE_TYPES.join(', ')}`));
    const id = randomBytes(12).toString('base64url');
    sessions.set(id, { fileLength, fileType, bytes: Buffer.alloc(0) });
    res.json({ id: `upload:${id}` });
  });

  const SESSION = /^\/[^/]+\/upload:([A-Za-z0-9_-]+)$/;
  app.get(SESSION, (req, res) => {
    if (!authorized(req)) return sendMetaError(res, refusal(190, 'Invalid OAuth access token'));
    const id = String((req.params as Record<string, string>)[0]);
    const session = sessions.get(id);
    if (!session) return sendMetaError(res, refusal(100, 'Unknown upload session'));
    res.json({ id: `upload:${id}`, file_offset: session.bytes.length });
  });
  app.post(SESSION, express.raw({ type: () => true, limit: '100mb' }), (req, res) => {
    if (!authorized(req)) return sendMetaError(res, refusal(190, 'Invalid OAuth access token'));
    const id = String((req.params as Record<string, string>)[0]);
    const session = sessions.get(id);
    if (!session) return sendMetaError(res, refusal(100, 'Unknown upload session'));
    const offset = Number(req.get('file_offset'));
    if (!Number.isInteger(offset) || offset !== session.bytes.length) {
      return sendMetaError(res, refusal(100, `file_offset: the upload resumes at ${session.bytes.length}`));
    }
    const chunk = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    session.bytes = Buffer.concat([session.bytes, chunk]);
    if (session.bytes.length > session.fileLength) return sendMetaError(res, refusal(100, 'More bytes than file_length announced'));
    if (session.bytes.length < session.fileLength) return res.json({ id: `upload:${id}`, file_offset: session.bytes.length });
    const handle = `4::${Buffer.from(session.fileType).toString('base64')}:${randomBytes(24).toString('base64url')}`;
    handles.set(handle, { bytes: session.bytes, mimeType: session.fileType });
    sessions.delete(id);
    res.json({ h: handle });
  });

  return {
    knownHandle: (handle: string) => handles.has(handle),
    handle: (handle: string) => handles.get(handle),
  };
}
