/**
 * Small but real files of each media type WhatsApp takes, recognised by the same library the connector checks with
 * (file-type), and images that really decode (made with sharp).
 */
import sharp from 'sharp';

export const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

export const jpeg = (): Promise<Buffer> => sharp({ create: { width: 4, height: 4, channels: 3, background: '#c33' } }).jpeg().toBuffer();
export const webp = (): Promise<Buffer> => sharp({ create: { width: 16, height: 16, channels: 4, background: '#3c3' } }).webp().toBuffer();

/** An Ogg page carrying an Opus header: a WhatsApp voice note's container. */
export function oggOpus(size = 256): Buffer {
  const page = Buffer.alloc(Math.max(size, 64));
  page.write('OggS', 0, 'latin1');
  page[4] = 0; // version
  page[5] = 2; // beginning of stream
  page[26] = 1; // one segment
  page[27] = 19;
  page.write('OpusHead', 28, 'latin1');
  return page;
}

/** An ISO base media file (ftyp box, brand isom): MP4 video. */
export function mp4(size = 256): Buffer {
  const file = Buffer.alloc(Math.max(size, 32));
  file.writeUInt32BE(24, 0);
  file.write('ftypisom', 4, 'latin1');
  file.writeUInt32BE(0x200, 12);
  file.write('isommp42', 16, 'latin1');
  return file;
}

/** A PDF of about `size` bytes (a comment pads it). */
export function pdf(size = 512): Buffer {
  const head = '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n';
  const tail = '\ntrailer << /Root 1 0 R >>\n%%EOF\n';
  return Buffer.from(`${head}%${'x'.repeat(Math.max(0, size - head.length - tail.length - 1))}${tail}`, 'latin1');
}
