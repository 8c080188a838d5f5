import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import type { MediaType } from './inbound-message.schema';
import { canonicalMimeType, legacyOfficeTypes, mediaRules, mediaTypeFor } from './media-limits';

/** How many leading bytes the type check reads: enough for file-type to walk an Office file's first ZIP entries. */
export const TYPE_SAMPLE_BYTES = 64 * 1024;

export type MediaProblem = 'too_large' | 'type_mismatch' | 'not_allowed_type' | 'unrecognised_type' | 'unreadable_image' | 'sha256_mismatch';

export interface DetectedType {
  /** Meta's MIME type for what the bytes really are. */
  mimeType: string;
  /** The WhatsApp type it can be sent as; absent for a real type Meta does not take (e.g. a GIF, an HTML page). */
  type?: MediaType;
}

/**
 * What the bytes are, by the `file-type` library (which reads each format's own structure, not our table), folded to
 * the MIME type Meta's table uses. Plain text has no signature: it is accepted only when declared `text/plain` and
 * the sample is UTF-8 without NUL bytes. Old Office files (doc, xls, ppt) share one container format (CFB), so the
 * declared one of the three is kept when the bytes are CFB.
 */
export async function detectMediaType(sample: Uint8Array, declaredMimeType: string | undefined, wholeFile: boolean): Promise<DetectedType | undefined> {
  const declared = canonicalMimeType(declaredMimeType);
  const found = await fileTypeFromBuffer(sample);
  if (!found) return declared === 'text/plain' && isPlainText(sample, wholeFile) ? { mimeType: 'text/plain', type: 'document' } : undefined;
  let mimeType = canonicalMimeType(found.mime)!;
  if (mimeType === 'application/x-cfb') mimeType = (legacyOfficeTypes as readonly string[]).includes(declared ?? '') ? declared! : mimeType;
  // MP4 audio (.m4a) often carries a generic MP4 brand: an audio declaration of MP4 bytes is audio/mp4.
  if (mimeType === 'video/mp4' && declared === 'audio/mp4') mimeType = 'audio/mp4';
  const type = mediaTypeFor(mimeType);
  return type ? { mimeType, type } : { mimeType };
}

/** Whether `detected` is a type Meta accepts as a `type` message. */
export function isAllowedFor(type: MediaType, mimeType: string): boolean {
  return mediaRules[type].mimeTypes.includes(mimeType);
}

function isPlainText(sample: Uint8Array, wholeFile: boolean): boolean {
  if (sample.includes(0)) return false;
  try {
    // A sample may end inside a multi-byte character; only the whole file must decode completely.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: !wholeFile });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a whole image (or sticker) decodes, by libvips through `sharp`: a valid signature followed by anything else
 * (an HTML page after a JPEG header) is not an image. Images are at most 5 MB, so they are checked whole.
 */
export async function isDecodableImage(bytes: Buffer): Promise<boolean> {
  try {
    await sharp(bytes, { failOn: 'error', animated: true }).stats();
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether an image (a sticker) is animated, by libvips: more than one frame. An upload does not say, and Meta limits
 * static stickers to 100 KB, animated ones to 500 KB (supported media types).
 */
export async function isAnimatedImage(bytes: Buffer): Promise<boolean> {
  try {
    return ((await sharp(bytes, { animated: true }).metadata()).pages ?? 1) > 1;
  } catch {
    return false;
  }
}

/**
 * Whether the bytes are an Ogg stream whose first page is not Opus (Vorbis, FLAC…): Meta takes audio/ogg with the
 * Opus codec only ("base audio/ogg not supported", supported media types); an Opus stream's first page carries
 * `OpusHead` (RFC 7845 §5.1).
 */
export function isOggWithoutOpus(sample: Uint8Array): boolean {
  const head = Buffer.from(sample.buffer, sample.byteOffset, Math.min(sample.length, 128));
  return head.toString('latin1', 0, 4) === 'OggS' && !head.includes('OpusHead', 0, 'latin1');
}
