import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** One AES-256 key and the id written beside every payload it encrypts. */
export interface PayloadKey {
  /** Short, stable name (`2026-11`, `k1`): stored in each payload's metadata, never the key itself. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** The metadata `encoding` of an encrypted payload, as Temporal's encryption samples name it. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata entry naming the key that encrypted a payload. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const text = new TextEncoder();
const utf8 = new TextDecoder();
const { Payload: PayloadProto } = temporal.api.common.v1;

/**
 * A Temporal payload codec (https://docs.temporal.io/payload-codec) encrypting every payload with AES-256-GCM through
 * Node's crypto: the whole payload (metadata and data, protobuf-encoded) becomes `iv ‖ ciphertext ‖ tag`, the key id
 * bound as additional authenticated data. It encrypts with the first key and decrypts with any listed, so a key
 * rotates by putting the new one first and keeping the old ones until every history they wrote has expired.
 * Payloads that are not encrypted (histories recorded before the codec, e.g. the committed test histories) pass
 * through unchanged. Throws on decode when the key id is unknown or the payload was tampered with.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  /** Each key imported once as a KeyObject, with its id's bytes (the AAD): given a raw Buffer, node:crypto imports
   * the key again for every cipher, two thirds of the codec's CPU (`bench/payload-codec.ts`: 34.7 → 12.1 µs a payload). */
  private readonly byId: Map<string, { key: KeyObject; aad: Uint8Array }>;
  private readonly newest: { id: string; key: KeyObject; aad: Uint8Array };

  constructor(keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('at least one payload key is needed');
    for (const { id, key } of keys) if (key.length !== 32) throw new Error(`payload key ${id} must be 32 bytes, is ${key.length}`);
    this.byId = new Map(keys.map(({ id, key }) => [id, { key: createSecretKey(key), aad: text.encode(id) }]));
    this.newest = { id: keys[0]!.id, ...this.byId.get(keys[0]!.id)! };
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key, aad } = this.newest;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
      const plain = PayloadProto.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: text.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text.encode(id) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) return payload;
      const id = utf8.decode(payload.metadata![KEY_ID_METADATA] ?? new Uint8Array());
      const entry = this.byId.get(id);
      if (!entry) throw new Error(`payload encrypted with key "${id}", which is not configured (TEMPORAL_PAYLOAD_KEYS)`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(0, IV_BYTES)).setAAD(entry.aad);
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return PayloadProto.decode(plain) as Payload;
    });
  }
}

/** True for a payload this codec (or another holding the same keys) encrypted. */
export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && utf8.decode(encoding) === ENCRYPTED_ENCODING;
}

/** The data converter every Temporal client and worker of the service uses: the default JSON converter plus the codec. */
export function dataConverterFor(keys: readonly PayloadKey[]): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)] };
}

/**
 * Parses `TEMPORAL_PAYLOAD_KEYS`: `id:base64key,id:base64key`, newest first (it encrypts; all decrypt). Each key is
 * 32 random bytes, e.g. `openssl rand -base64 32`. Throws a message naming the faulty entry.
 */
export function parsePayloadKeys(value: string): PayloadKey[] {
  const keys = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const cut = entry.indexOf(':');
      const id = entry.slice(0, cut);
      if (cut <= 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`"${entry.slice(0, 8)}…" is not id:base64key`);
      const key = Buffer.from(entry.slice(cut + 1), 'base64');
      if (key.length !== 32) throw new Error(`key ${id} is ${key.length} bytes; AES-256 needs 32 (openssl rand -base64 32)`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error('expected at least one id:base64key');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error('key ids must be unique');
  return keys;
}

/** A fresh key entry for `TEMPORAL_PAYLOAD_KEYS` (what `npm start` keeps under .data/). */
export function newPayloadKeyEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/**
 * The key the logs hash numbers with (lib/logger.ts), derived from the oldest payload key listed: the same in every
 * process of a deployment and unchanged when a newer key is put first; never the payload key itself.
 */
export function logHashKeyFrom(keys: readonly PayloadKey[]): Uint8Array {
  return createHmac('sha256', keys[keys.length - 1]!.key).update('log hashes').digest();
}
