import { isDuplicateKey, type Store } from './db';
import type { ReactionDoc } from './documents';

/** What the thread shows under a message: each customer's current reaction. */
export interface ReactionView {
  emoji: string;
  by: string;
  /** ISO time the customer reacted. */
  at: string;
}

/** Records a reaction webhook: one insert, a redelivery (same wamid) is a duplicate that changes nothing. */
export async function recordReaction(store: Store, reaction: ReactionDoc): Promise<'inserted' | 'duplicate'> {
  try {
    await store.reactions.insertOne(reaction);
    return 'inserted';
  } catch (err) {
    if (isDuplicateKey(err)) return 'duplicate';
    throw err;
  }
}

/**
 * The reactions on a conversation's messages, by the reacted message's wamid: per customer only the latest one by
 * the customer's own timestamp (webhooks arrive out of order), and none where that latest one removed it. Meta
 * sends a reaction only for messages under 30 days old
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/reaction).
 */
export async function reactionsByWamid(store: Store, conversationId: string): Promise<Map<string, ReactionView[]>> {
  const docs = await store.reactions.find({ conversationId }).toArray();
  const latest = new Map<string, ReactionDoc>();
  for (const doc of docs) {
    const key = `${doc.targetWamid}\u0000${doc.by}`;
    const seen = latest.get(key);
    if (!seen || seen.at.getTime() < doc.at.getTime() || (seen.at.getTime() === doc.at.getTime() && seen._id < doc._id)) latest.set(key, doc);
  }
  const byWamid = new Map<string, ReactionView[]>();
  for (const doc of [...latest.values()].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    if (doc.emoji === '') continue;
    byWamid.set(doc.targetWamid, [...(byWamid.get(doc.targetWamid) ?? []), { emoji: doc.emoji, by: doc.by, at: doc.at.toISOString() }]);
  }
  return byWamid;
}
