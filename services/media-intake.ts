import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MediaType } from '../lib/inbound-message.schema';
import { MAX_MEDIA_BYTES, canonicalMimeType, maxBytesFor, mediaRules } from '../lib/media-limits';
import { TYPE_SAMPLE_BYTES, detectMediaType, isAllowedFor, isAnimatedImage, isDecodableImage, isOggWithoutOpus, type MediaProblem } from '../lib/media-type';
import type { Store } from '../store/db';
import { discardMedia, openMediaUpload, type MediaMetadata } from '../store/media.store';

export interface MediaIntake {
  mediaId: string;
  source: Readable;
  direction: 'inbound' | 'outbound';
  /** The WhatsApp type the bytes must be (a customer's `audio` message…); absent for uploads, where the bytes decide. */
  expectedType?: MediaType;
  declaredMimeType?: string;
  /** The webhook's hex (or base64) sha256 of the bytes. */
  declaredSha256?: string;
  /** Stickers: the webhook's `animated` flag (static stickers are limited to 100 KB). */
  animated?: boolean;
  filename?: string;
}

export type IntakeResult =
  | { outcome: 'stored'; metadata: MediaMetadata }
  | { outcome: 'refused'; problem: MediaProblem; detail: string; limit?: string };

class Refusal extends Error {
  constructor(readonly problem: MediaProblem, detail: string, readonly limit?: string) {
    super(detail);
  }
}

/**
 * Streams media into GridFS under `mediaId` while counting, hashing and keeping the first bytes for the type check,
 * so memory stays flat whatever the size (a 100 MB document passes through in GridFS chunks). The checks run as
 * the stream ends, before GridFS writes the file document: a refused file is never visible, and its chunks are
 * removed. Refusals (too large, not the declared type, a type Meta does not take, sha256 not the webhook's) are
 * answers, not errors; a failing source or store throws.
 */
export async function takeMedia(store: Store, intake: MediaIntake): Promise<IntakeResult> {
  const metadata: Partial<MediaMetadata> = { direction: intake.direction, ...(intake.filename ? { filename: intake.filename } : {}) };
  const streamingMax = intake.expectedType ? maxBytesFor(intake.expectedType, intake.animated) : MAX_MEDIA_BYTES;
  const hash = createHash('sha256');
  const sample: Buffer[] = [];
  let sampled = 0;
  let size = 0;
  // Images and stickers (at most 5 MB) are kept whole for the decode check; nothing larger is ever held.
  const keepWhole = intake.expectedType === undefined || intake.expectedType === 'image' || intake.expectedType === 'sticker';
  let whole: Buffer[] | undefined = keepWhole ? [] : undefined;

  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      size += chunk.length;
      if (size > streamingMax) return callback(tooLarge(intake.expectedType));
      hash.update(chunk);
      if (whole && size <= mediaRules.image.maxBytes) whole.push(chunk);
      else whole = undefined;
      if (sampled < TYPE_SAMPLE_BYTES) {
        sample.push(chunk.subarray(0, TYPE_SAMPLE_BYTES - sampled));
        sampled += Math.min(chunk.length, TYPE_SAMPLE_BYTES - sampled);
      }
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      check(Buffer.concat(sample), hash.digest()).then(() => callback(), (err: Error) => callback(err));
    },
  });

  async function check(head: Buffer, digest: Buffer): Promise<void> {
    const sha256 = digest.toString('hex');
    const declaredHash = intake.declaredSha256?.trim();
    if (declaredHash && declaredHash.toLowerCase() !== sha256 && declaredHash !== digest.toString('base64')) {
      throw new Refusal('sha256_mismatch', `the bytes hash to ${sha256}, the webhook announced ${declaredHash}`);
    }
    const detected = await detectMediaType(head, intake.declaredMimeType, size <= TYPE_SAMPLE_BYTES);
    if (!detected) throw new Refusal('unrecognised_type', 'the bytes are not a media type WhatsApp accepts');
    const declared = canonicalMimeType(intake.declaredMimeType);
    if (declared && declared !== 'application/octet-stream' && declared !== detected.mimeType) {
      throw new Refusal('type_mismatch', `declared ${declared}, the bytes are ${detected.mimeType}`);
    }
    const type = intake.expectedType ?? detected.type;
    if (!type || !isAllowedFor(type, detected.mimeType)) {
      throw new Refusal('not_allowed_type', `${detected.mimeType} is not a type WhatsApp accepts${type ? ` for ${type}` : ''}`);
    }
    // What the business uploads to send is judged as WhatsApp will judge the send: a sticker's limit by whether its
    // bytes are animated (the upload does not say), OGG audio by its codec. A customer's media keeps the webhook's word.
    const outbound = intake.direction === 'outbound';
    const animated = intake.animated ?? (outbound && type === 'sticker' && whole ? await isAnimatedImage(Buffer.concat(whole)) : undefined);
    if (size > maxBytesFor(type, animated)) throw tooLarge(type);
    if (outbound && detected.mimeType === 'audio/ogg' && isOggWithoutOpus(head)) {
      throw new Refusal('not_allowed_type', 'audio/ogg without the Opus codec: WhatsApp takes OGG audio with Opus only');
    }
    if ((type === 'image' || type === 'sticker') && !(whole && (await isDecodableImage(Buffer.concat(whole))))) {
      throw new Refusal('unreadable_image', `the bytes start like ${detected.mimeType} but do not decode as one`);
    }
    Object.assign(metadata, { mimeType: detected.mimeType, size, sha256, type });
  }

  const upload = await openMediaUpload(store, intake.mediaId, metadata);
  try {
    await pipeline(intake.source, meter, upload);
    return { outcome: 'stored', metadata: metadata as MediaMetadata };
  } catch (err) {
    await discardMedia(store, intake.mediaId);
    if (err instanceof Refusal) return { outcome: 'refused', problem: err.problem, detail: err.message, ...(err.limit ? { limit: err.limit } : {}) };
    throw err;
  }
}

function tooLarge(type: MediaType | undefined): Refusal {
  const limit = type ? mediaRules[type].limit : `${MAX_MEDIA_BYTES / 1024 / 1024} MB`;
  return new Refusal('too_large', `larger than WhatsApp's limit${type ? ` for ${type}` : ''}: ${limit}`, limit);
}
