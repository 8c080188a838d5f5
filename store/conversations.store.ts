import type { ConversationStatus } from '../machines/conversation.status';
import type { ConversationStateName } from '../machines/conversation.types';
import { isDuplicateKey, type Store } from './db';
import type { ConversationDoc } from './documents';

const pad = (n: number, width: number) => n.toString().padStart(width, '0');

/**
 * Writes the workflow's view of a conversation. Older projections never overwrite newer ones: the filter only
 * matches an older `projectionKey`, and the upsert that follows a miss hits the unique `_id` and is dropped.
 */
export async function recordConversation(
  store: Store,
  status: ConversationStatus,
  generation: number,
  revision: number,
  now: Date,
): Promise<void> {
  const projectionKey = `${pad(generation, 15)}:${pad(revision, 10)}`;
  const doc: ConversationDoc = { ...status, _id: status.conversationId, projectionKey, updatedAt: now };
  try {
    await store.conversations.replaceOne({ _id: doc._id, projectionKey: { $lt: projectionKey } }, doc, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

export async function markInboundHandled(store: Store, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  await store.messages.updateMany({ _id: { $in: messageIds } }, { $set: { handled: true } });
}

export async function findConversation(store: Store, conversationId: string): Promise<ConversationDoc | null> {
  return store.conversations.findOne({ _id: conversationId });
}

export interface ConversationFilter {
  state?: ConversationStateName;
  agentId?: string;
  businessNumberId?: string;
  limit: number;
}

export async function listConversations(store: Store, filter: ConversationFilter): Promise<ConversationDoc[]> {
  const query: Record<string, string> = {};
  if (filter.state) query.state = filter.state;
  if (filter.agentId) query.agentId = filter.agentId;
  if (filter.businessNumberId) query.businessNumberId = filter.businessNumberId;
  return store.conversations.find(query).sort({ updatedAt: -1 }).limit(filter.limit).toArray();
}
