import { isDeepStrictEqual } from 'node:util';
import { AppError } from '../lib/errors';
import type { OutboundContent } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { isConnectorOutbound } from '../store/documents';

/**
 * An Idempotency-Key names one message per conversation (`messageIdFor`). A request that reuses it for a different
 * message is the caller's mistake, not a retry: refused with 422 `idempotency_key_reused`, naming each field that
 * differs, and nothing is sent. Compared with the message as stored once the first request was taken; while the first
 * is still on its way there is nothing to compare, and the repeat answers as the first (Temporal's Update id).
 */
export async function refuseChangedRepeat(store: Store, messageId: string, message: OutboundContent): Promise<void> {
  const doc = await store.messages.findOne({ _id: messageId }, { projection: { direction: 1, source: 1, content: 1 } });
  if (!doc || !isConnectorOutbound(doc)) return;
  const stored = doc.content as unknown as Record<string, unknown>;
  // The stored message may carry more (facts added on acceptance); every field this request names must match.
  const changed = Object.entries(message).filter(([field, value]) => value !== undefined && !isDeepStrictEqual(stored[field], value));
  if (changed.length === 0) return;
  throw new AppError('idempotency_key_reused', 'This Idempotency-Key already named another message in this conversation; use a new key for a new message', {
    errors: changed.map(([field]) => ({ in: 'body', path: `message.${field}`, message: 'differs from the message first sent under this key' })),
  });
}
