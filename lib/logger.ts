import { createHmac } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Headers that carry secrets: replaced outright. */
const SECRET_PATHS = ['req.headers.authorization', 'req.headers["x-hub-signature-256"]', 'req.headers["x-api-key"]', 'req.headers.cookie'];
/** Message bodies and people's names: replaced outright (nobody correlates on them). */
const CONTENT_KEYS = ['text', 'body', 'caption', 'parameters', 'profileName', 'username', 'contacts', 'messages'];
/** Numbers and ids that embed them (`wa:<business>:<customer>`): a stable keyed hash, so one person's lines still join. */
const IDENTITY_KEYS = ['waId', 'wa_id', 'from', 'to', 'recipient', 'userId', 'user_id', 'customerKey', 'conversationId', 'phoneNumber'];

/** `key`, `*.key` and `*.*.key`: a field at the top and two levels down (pino's redaction has no deep wildcard). */
const atAnyDepth = (keys: readonly string[]) => keys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/**
 * The pino `redact` option of every application logger: secret headers and message contents become `[Redacted]`,
 * customers' numbers and the conversation ids carrying them become `h:<12 hex>`, an HMAC-SHA-256 under `hashKey` (so a
 * phone number cannot be recovered by hashing every number; the same key in the API and worker keeps them joinable).
 */
export function personalDataRedaction(hashKey: Uint8Array) {
  return {
    paths: [...SECRET_PATHS, ...atAnyDepth(CONTENT_KEYS), ...atAnyDepth(IDENTITY_KEYS)],
    censor: (value: unknown, path: string[]) => {
      const hashed = IDENTITY_KEYS.includes(path[path.length - 1]!) && (typeof value === 'string' || typeof value === 'number');
      return hashed ? logHash(hashKey, String(value)) : '[Redacted]';
    },
  };
}

/** The stable keyed hash the logs show in place of a number or a conversation id (`h:` and 12 hex digits). */
export function logHash(hashKey: Uint8Array, value: string): string {
  return `h:${createHmac('sha256', hashKey).update(value).digest('hex').slice(0, 12)}`;
}

/**
 * One structured logger per process; secrets and personal data never reach it (see {@link personalDataRedaction}; the
 * API's access log also redacts URLs and numbers through its serializers, see api/request-guards.ts).
 * `destination` defaults to stdout (tests capture it); `hashKey` keys the hashes of numbers (the service derives it
 * from its payload key, so every process of one deployment hashes alike); without one, a fixed key: still no number
 * in clear, but hashes a determined reader could reverse.
 */
export function createLogger(level: string, name: string, destination?: DestinationStream, hashKey: Uint8Array = DEFAULT_HASH_KEY): Logger {
  const options = { name, level, redact: personalDataRedaction(hashKey) };
  return destination ? pino(options, destination) : pino(options);
}

const DEFAULT_HASH_KEY = new TextEncoder().encode('whatsapp-connector log hashes');
