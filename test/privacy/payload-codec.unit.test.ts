import { defaultPayloadConverter } from '@temporalio/common';
import { loadConfig } from '../../lib/config';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, newPayloadKeyEntry, parsePayloadKeys } from '../../lib/payload-codec';

const utf8 = new TextDecoder();
const reply = defaultPayloadConverter.toPayload({ text: 'Your parcel code is 88213', profileName: 'Ada Lovelace', waId: '15551234567' });
const older = parsePayloadKeys(newPayloadKeyEntry('2026-10'));
const newer = parsePayloadKeys(newPayloadKeyEntry('2026-11'));

describe('the AES-256-GCM payload codec', () => {
  it('stores neither the text, the name nor the number, and names the key that encrypted it', async () => {
    const [encrypted] = await new AesGcmPayloadCodec(newer).encode([reply]);
    const stored = Buffer.from(encrypted!.data!).toString('latin1');
    for (const secret of ['88213', 'Ada Lovelace', '15551234567', 'json/plain']) expect(stored).not.toContain(secret);
    expect(utf8.decode(encrypted!.metadata!.encoding!)).toBe(ENCRYPTED_ENCODING);
    expect(utf8.decode(encrypted!.metadata![KEY_ID_METADATA]!)).toBe('2026-11');
  });

  it('decodes back to the same payload, metadata included', async () => {
    const codec = new AesGcmPayloadCodec(newer);
    const [decoded] = await codec.decode(await codec.encode([reply]));
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ text: 'Your parcel code is 88213', profileName: 'Ada Lovelace', waId: '15551234567' });
  });

  it('rotates: encrypts with the first key, still decrypts what an older key wrote', async () => {
    const [old] = await new AesGcmPayloadCodec(older).encode([reply]);
    const rotated = new AesGcmPayloadCodec([...newer, ...older]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toMatchObject({ text: 'Your parcel code is 88213' });
    const [fresh] = await rotated.encode([reply]);
    expect(utf8.decode(fresh!.metadata![KEY_ID_METADATA]!)).toBe('2026-11');
  });

  it('refuses a payload whose key is not held, and one that was altered', async () => {
    const [encrypted] = await new AesGcmPayloadCodec(older).encode([reply]);
    await expect(new AesGcmPayloadCodec(newer).decode([encrypted!])).rejects.toThrow(/key "2026-10", which is not configured/);
    const altered = Buffer.from(encrypted!.data!);
    altered[20] = altered[20]! ^ 1;
    await expect(new AesGcmPayloadCodec(older).decode([{ ...encrypted!, data: altered }])).rejects.toThrow();
    // The key id is authenticated too: relabelling a payload with another held key fails.
    const relabelled = { ...encrypted!, metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('2026-11') } };
    await expect(new AesGcmPayloadCodec([...newer, ...older.map((k) => ({ ...k, key: newer[0]!.key }))]).decode([relabelled])).rejects.toThrow();
  });

  it('passes payloads recorded before encryption through unchanged (committed histories replay)', async () => {
    expect(await new AesGcmPayloadCodec(newer).decode([reply])).toEqual([reply]);
  });
});

describe('TEMPORAL_PAYLOAD_KEYS', () => {
  const base = { WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v' };
  it('is required, and names what is wrong with a bad entry', () => {
    expect(() => loadConfig(base)).toThrow(/TEMPORAL_PAYLOAD_KEYS/);
    expect(() => loadConfig({ ...base, TEMPORAL_PAYLOAD_KEYS: 'k1:c2hvcnQ=' })).toThrow(/key k1 is 5 bytes; AES-256 needs 32/);
    expect(() => loadConfig({ ...base, TEMPORAL_PAYLOAD_KEYS: 'no-colon' })).toThrow(/is not id:base64key/);
    const twice = newPayloadKeyEntry('k1');
    expect(() => loadConfig({ ...base, TEMPORAL_PAYLOAD_KEYS: `${twice},${twice}` })).toThrow(/unique/);
  });

  it('parses several keys, newest first', () => {
    const config = loadConfig({ ...base, TEMPORAL_PAYLOAD_KEYS: `${newPayloadKeyEntry('b')}, ${newPayloadKeyEntry('a')}` });
    expect(config.TEMPORAL_PAYLOAD_KEYS.map((k) => k.id)).toEqual(['b', 'a']);
    expect(config.TEMPORAL_PAYLOAD_KEYS[0]!.key).toHaveLength(32);
  });
});
