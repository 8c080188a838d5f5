import { detectMediaType } from '../../lib/media-type';

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
