/**
 * `POST /{version}/{phone-number-id}/media` as Meta's media reference documents it
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media): `multipart/form-data` with
 * `file`, `type` and `messaging_product`, read as a stream (hashed and counted as it arrives, never buffered by a
 * parser), and refused as the Cloud API refuses: a file of a type Meta does not take with (#100) naming the types,
 * a file over its type's limit with (#131053) Media upload error, a missing parameter with (#100). Written from
 * Meta's pages, independently of the connector's own table (lib/media-limits.ts), so it can catch its mistakes.
 */
import { createHash } from 'node:crypto';
import busboy from 'busboy';
import type { Express, Request } from 'express';
import { refusal, sendMetaError, type MetaRefusal } from './errors';

/** Graph's (#100) refusals carry their own words as the message ("(#100) The parameter type is required."). */
const invalid = (message: string) => refusal(100, message, { title: message });

const KB = 1024;
const MB = 1024 * KB;

/**
 * Meta's "Supported media types" (same page, checked 2026-11-30), in the order its (#100) refusal lists them. Stickers
 * (image/webp) may be 500 KB when animated; an upload does not say which, so the larger limit applies here and the
 * send judges the rest.
 */
const LIMITS: [mimeType: string, maxBytes: number, limit: string][] = [
  ['audio/aac', 16 * MB, '16 MB'],
  ['audio/mp4', 16 * MB, '16 MB'],
  ['audio/mpeg', 16 * MB, '16 MB'],
  ['audio/amr', 16 * MB, '16 MB'],
  ['audio/ogg', 16 * MB, '16 MB'],
  ['audio/opus', 16 * MB, '16 MB'],
  ['application/vnd.ms-powerpoint', 100 * MB, '100 MB'],
  ['application/msword', 100 * MB, '100 MB'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 100 * MB, '100 MB'],
  ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 100 * MB, '100 MB'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 100 * MB, '100 MB'],
  ['application/pdf', 100 * MB, '100 MB'],
  ['text/plain', 100 * MB, '100 MB'],
  ['application/vnd.ms-excel', 100 * MB, '100 MB'],
  ['image/jpeg', 5 * MB, '5 MB'],
  ['image/png', 5 * MB, '5 MB'],
  ['image/webp', 500 * KB, '500 KB'],
  ['video/mp4', 16 * MB, '16 MB'],
  ['video/3gpp', 16 * MB, '16 MB'],
];
const LARGEST = Math.max(...LIMITS.map(([, max]) => max));

/** One upload the simulator took, as it arrived on the wire. */
export interface ReceivedUpload {
  phoneNumberId: string;
  mediaId: string;
  /** The file part's Content-Type (what Meta judges). */
  mimeType: string;
  /** The `type` field sent beside it. */
  type: string;
  filename: string;
  /** Bytes of the file part. */
  size: number;
  /** Hex sha256 of the file part's bytes. */
  sha256: string;
  /** The request's Content-Length header (absent when sent chunked). */
  contentLength?: number;
}

export function installMediaUpload(
  app: Express,
  deps: { authorized: (req: Request) => boolean; storeMedia: (bytes: Buffer, mimeType: string) => string },
): { uploads: () => ReceivedUpload[]; reset: () => void } {
  let uploads: ReceivedUpload[] = [];

  app.post('/:version/:phoneNumberId/media', (req, res) => {
    const refuse = (r: MetaRefusal, status?: number) => {
      // Answer at once and let the rest of the body drain: the client sees the refusal, not a reset connection.
      req.resume();
      if (!res.headersSent) sendMetaError(res, r, status);
    };
    if (!deps.authorized(req)) return refuse(refusal(190, 'Access token has expired'));
    if (!req.is('multipart/form-data')) return refuse(invalid('The parameter file is required.'));
    const fields: Record<string, string> = {};
    let file: { mimeType: string; filename: string; chunks: Buffer[]; size: number; sha256: string } | undefined;
    let problem: MetaRefusal | undefined;
    let reading: Promise<void> = Promise.resolve();
    // The part's file name is raw UTF-8 as clients write it (RFC 7578 §4.2); busboy's default would read it as Latin-1.
    const parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fields: 10, fileSize: LARGEST + 1 } });
    parser.on('field', (name, value) => void (fields[name] = value));
    parser.on('file', (name, stream, info) => {
      // A body cut off before its closing boundary errors the part's stream too ("Unexpected end of form"): heard
      // here, so the refusal is the parser's (below) and the process does not end on an unheard 'error'.
      stream.on('error', () => void (problem ??= invalid('Invalid multipart/form-data body.')));
      const rule = LIMITS.find(([mimeType]) => mimeType === info.mimeType.toLowerCase());
      if (name !== 'file' || !rule) {
        problem ??= name !== 'file' ? invalid(`Unexpected file parameter ${name}.`) : invalid(`Param file must be a file with one of the following types: ${LIMITS.map(([t]) => t).join(', ')}. Received file of type '${info.mimeType}'.`);
        return void stream.resume();
      }
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      reading = new Promise((done) => {
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > rule[1]) return; // over the limit: counted, not kept
          hash.update(chunk);
          chunks.push(chunk);
        });
        stream.on('error', () => done());
        stream.on('end', () => {
          if (size > rule[1]) problem ??= refusal(131053, `The file is ${size} bytes: the limit for ${rule[0]} is ${rule[2]}.`);
          else file = { mimeType: rule[0], filename: info.filename ?? '', chunks, size, sha256: hash.digest('hex') };
          done();
        });
      });
    });
    parser.on('error', () => refuse(invalid('Invalid multipart/form-data body.')));
    parser.on('close', () => {
      void reading.then(() => {
        if (problem) return refuse(problem);
        if (fields.messaging_product !== 'whatsapp') return refuse(invalid('The parameter messaging_product is required.'));
        if (!fields.type) return refuse(invalid('The parameter type is required.'));
        if (!file) return refuse(invalid('The parameter file is required.'));
        const mediaId = deps.storeMedia(Buffer.concat(file.chunks, file.size), file.mimeType);
        const length = Number(req.get('content-length'));
        uploads.push({
          phoneNumberId: String(req.params.phoneNumberId),
          mediaId,
          mimeType: file.mimeType,
          type: fields.type,
          filename: file.filename,
          size: file.size,
          sha256: file.sha256,
          ...(Number.isFinite(length) && req.get('content-length') !== undefined ? { contentLength: length } : {}),
        });
        res.json({ id: mediaId });
      });
    });
    req.pipe(parser);
  });

  return { uploads: () => [...uploads], reset: () => void (uploads = []) };
}
