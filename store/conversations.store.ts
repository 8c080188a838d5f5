import type { ConversationStatus } from '../machines/conversation.status';
import type { ConversationStateName } from '../machines/conversation.types';
import { isDuplicateKey, onlyDuplicateKeys, type Store } from './db';
import type { ConversationDoc } from './documents';

const pad = (n: number, width: number) => n.toString().padStart(width, '0');

/**
 * Writes the workflow's view of a conversation; an older projection never overwrites a newer one. Read, compare,
 * then replace by `_id` alone (FerretDB scans for any richer filter): safe because a conversation's projections are
 * written one at a time by its own workflow (sequential local activities, flushed before continue-as-new), and an
 * insert race for a new conversation ends in a duplicate key, where the other writer's copy is kept only if newer.
 *
 * `lastWritten`: the projection key this process itself wrote last for the conversation. A newer key then replaces
 * without the read (the workflow writes its projections in key order, so nothing newer can be stored), one store
 * command instead of two; a document gone meanwhile (erasure) takes the full path. Returns the key now stored.
 */
export async function recordConversation(
  store: Store,
  status: ConversationStatus,
  generation: number,
  revision: number,
  now: Date,
  lastWritten?: string,
): Promise<string> {
  const projectionKey = `${pad(generation, 15)}:${pad(revision, 10)}`;
  const doc: ConversationDoc = { ...status, _id: status.conversationId, projectionKey, updatedAt: now };
  if (lastWritten !== undefined && lastWritten < projectionKey) {
    const { matchedCount } = await store.conversations.replaceOne({ _id: doc._id }, doc);
    if (matchedCount === 1) return projectionKey;
  }
  const current = await store.conversations.findOne({ _id: doc._id });
  if (current && current.projectionKey >= projectionKey) return current.projectionKey;
  if (current) {
    await store.conversations.replaceOne({ _id: doc._id }, doc);
    return projectionKey;
  }
  try {
    await store.conversations.insertOne(doc);
    return projectionKey;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return recordConversation(store, status, generation, revision, now);
  }
}

/**
 * Records that the conversation handled these customer messages: inserts (an update by `_id` makes FerretDB scan the
 * whole messages collection, see `npm run bench:store-ops`), all of one workflow task's in one unordered insert
 * command; a retried activity finds its own markers (duplicate keys, ignored).
 */
export async function markInboundHandled(store: Store, messageIds: string[], at: Date): Promise<void> {
  if (messageIds.length === 0) return;
  try {
    await store.handledInbound.insertMany(
      messageIds.map((_id) => ({ _id, at })),
      { ordered: false },
    );
  } catch (err) {
    if (!isDuplicateKey(err) && !onlyDuplicateKeys(err)) throw err;
  }
}

export async function findConversation(store: Store, conversationId: string): Promise<ConversationDoc | null> {
  return store.conversations.findOne({ _id: conversationId });
}

/** The conversations of these customer keys (one person's, across numbers), newest first, at most `limit`. */
export async function conversationsOfCustomerKeys(store: Store, keys: string[], limit = 200): Promise<ConversationDoc[]> {
  return store.conversations.find({ 'customer.key': { $in: keys } }).sort({ updatedAt: -1 }).limit(limit).toArray();
}

export interface ConversationFilter {
  state?: ConversationStateName;
  agentId?: string;
  businessNumberId?: string;
  /** Only what this agent may read under the `own` policy: what it holds, and what waits unassigned in its queues. */
  visibleToAgent?: { id: string; queues: string[] };
  limit: number;
}

export async function listConversations(store: Store, filter: ConversationFilter): Promise<ConversationDoc[]> {
  const query: Record<string, unknown> = {};
  if (filter.state) query.state = filter.state;
  if (filter.agentId) query.agentId = filter.agentId;
  if (filter.businessNumberId) query.businessNumberId = filter.businessNumberId;
  if (filter.visibleToAgent) {
    const { id, queues } = filter.visibleToAgent;
    // Unassigned and in one of its queues, or unassigned and never queued (no routing: any agent may answer it).
    query.$or = [{ agentId: id }, { agentId: null, 'routing.queue': { $in: [...queues, null] } }];
  }
  return store.conversations.find(query).sort({ updatedAt: -1 }).limit(filter.limit).toArray();
}
