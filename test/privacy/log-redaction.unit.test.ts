import { Writable } from 'node:stream';
import { createLogger, logHash } from '../../lib/logger';

/** A logger writing into an array of parsed lines, as the service's loggers write to stdout. */
function capture(hashKey?: Uint8Array) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
  return { logger: createLogger('info', 'test', sink, hashKey), lines };
}

const waId = '15551234567';
const conversationId = `wa:106540352242922:${waId}`;

describe('application logs', () => {
  it('carry no message body, name or customer number, at the top or nested', () => {
    const { logger, lines } = capture();
    logger.warn({ conversationId, customer: { waId, profileName: 'Ada Lovelace' }, message: { text: 'my card is 4111', caption: 'passport' } }, 'one');
    logger.warn({ from: waId, to: waId, body: 'hello Ada', value: { contacts: [{ profile: { name: 'Ada Lovelace' }, wa_id: waId }], messages: [{ text: { body: 'x' } }] } }, 'two');
    logger.warn({ error: { recipient: waId, userId: 'US.123', username: '@ada' } }, 'three');
    const text = JSON.stringify(lines);
    for (const secret of [waId, 'Ada Lovelace', 'my card', 'passport', 'hello Ada', 'US.123', '@ada']) expect(text).not.toContain(secret);
    expect(lines).toHaveLength(3);
  });

  it('replace numbers and conversation ids by a stable hash, the same in every process holding the key', () => {
    const key = new TextEncoder().encode('deployment key');
    const api = capture(key);
    const worker = capture(key);
    api.logger.info({ conversationId, customer: { waId } }, 'received');
    worker.logger.info({ conversationId }, 'sent');
    expect(api.lines[0]).toMatchObject({ conversationId: logHash(key, conversationId), customer: { waId: logHash(key, waId) } });
    expect(worker.lines[0]!.conversationId).toBe(api.lines[0]!.conversationId);
    expect(api.lines[0]!.conversationId).toMatch(/^h:[0-9a-f]{12}$/);
    // Another deployment's key gives other hashes: a number cannot be looked up across them.
    const other = capture(new TextEncoder().encode('another key'));
    other.logger.info({ conversationId }, 'x');
    expect(other.lines[0]!.conversationId).not.toBe(api.lines[0]!.conversationId);
  });

  it('still redacts the secret headers, and keeps the logger name and message', () => {
    const { logger, lines } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer wa_secret', 'x-hub-signature-256': 'sha256=abc', cookie: 'c=1' } } }, 'request');
    expect(lines[0]).toMatchObject({ name: 'test', msg: 'request', req: { headers: { authorization: '[Redacted]', 'x-hub-signature-256': '[Redacted]', cookie: '[Redacted]' } } });
  });
});
