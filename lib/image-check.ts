import { createHash } from 'node:crypto';

/** Images are the only media at launch: JPEG and PNG up to WhatsApp's 5 MB, both directions. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export type ImageMimeType = 'image/jpeg' | 'image/png';

const signatures: [ImageMimeType, number[]][] = [
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
];

export type ImageProblem = 'too_large' | 'not_an_image' | 'type_mismatch';

export interface CheckedImage {
  mimeType: ImageMimeType;
  size: number;
  sha256: string;
}

/** What the bytes really are, by their magic number; the declared type is never trusted alone. */
export function sniffImageType(bytes: Uint8Array): ImageMimeType | undefined {
  return signatures.find(([, magic]) => magic.every((byte, i) => bytes[i] === byte))?.[0];
}

/** Checks an image's size and bytes against its declared type; returns the problem, or the checked facts. */
export function checkImage(bytes: Uint8Array, declaredMimeType: string | undefined): CheckedImage | { problem: ImageProblem } {
  if (bytes.length > MAX_IMAGE_BYTES) return { problem: 'too_large' };
  const actual = sniffImageType(bytes);
  if (!actual) return { problem: 'not_an_image' };
  const declared = declaredMimeType?.split(';')[0]?.trim().toLowerCase();
  if (declared && declared !== actual && !(declared === 'image/jpg' && actual === 'image/jpeg')) return { problem: 'type_mismatch' };
  return { mimeType: actual, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
