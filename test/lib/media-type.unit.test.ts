import sharp from 'sharp';
import { detectMediaType, isAnimatedImage, isOggWithoutOpus } from '../../lib/media-type';
import { oggOpus } from '../support/media-fixtures';

const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

describe('detectMediaType (file-type)', () => {
  it('names a PNG by its bytes', async () => {
    expect(await detectMediaType(png, 'image/jpeg', true)).toEqual({ mimeType: 'image/png', type: 'image' });
  });
  it('accepts plain text only when declared and readable as UTF-8', async () => {
    expect(await detectMediaType(Buffer.from('order 1234 ✓'), 'text/plain', true)).toEqual({ mimeType: 'text/plain', type: 'document' });
    expect(await detectMediaType(Buffer.from([0x00, 0x01, 0x02]), 'text/plain', true)).toBeUndefined();
  });
});

/** Meta's supported media types: stickers 100 KB static / 500 KB animated; audio/ogg with the Opus codec only. */
describe('what an upload does not say', () => {
  const frame = (red: number) => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: red, g: 0, b: 0 } } }).png().toBuffer();
  it('tells an animated WebP from a static one by its frames', async () => {
    expect(await isAnimatedImage(await sharp(await frame(10)).webp().toBuffer())).toBe(false);
    expect(await isAnimatedImage(await sharp([await frame(10), await frame(200)], { join: { animated: true } }).webp({ loop: 0 }).toBuffer())).toBe(true);
    expect(await isAnimatedImage(Buffer.from('not an image'))).toBe(false);
  });
  it('tells Ogg Opus from another Ogg codec, and judges no other bytes', () => {
    expect(isOggWithoutOpus(oggOpus())).toBe(false);
    const vorbis = Buffer.concat([Buffer.from('OggS', 'latin1'), Buffer.alloc(24), Buffer.from('\x01vorbis', 'latin1'), Buffer.alloc(64)]);
    expect(isOggWithoutOpus(vorbis)).toBe(true);
    expect(isOggWithoutOpus(Buffer.alloc(64, 1))).toBe(false);
  });
});
