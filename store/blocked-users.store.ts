import { LRUCache } from 'lru-cache';
import type { Store } from './db';

/**
 * A person the business blocked on one of its numbers through Meta's Block Users API: WhatsApp delivers nothing from
 * them and refuses sends to them (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/).
 * `_id` `<phoneNumberId>:<customer key>`: one write per person per number, so concurrent blocks cannot duplicate.
 */
export interface BlockedUserDoc {
  _id: string;
  businessNumberId: string;
  customerKey: string;
  /** What WhatsApp was told (the phone number or WhatsApp id) and the WhatsApp id it answered. */
  user: string;
  waId?: string;
  blockedAt: Date;
  blockedBy: string;
}

const blocked = (store: Store) => store.db.collection<BlockedUserDoc>('blocked_users');
const idOf = (businessNumberId: string, customerKey: string) => `${businessNumberId}:${customerKey}`;

/**
 * How long an inbound message may take "not blocked" from memory: a block recorded by another process reaches this
 * one's ingest at most this late; a block through this process at once, and an unblock anywhere at once ("blocked"
 * is never remembered). README, *WhatsApp's rules*, the Blocking row, says why that is acceptable.
 */
export const NOT_BLOCKED_STALE_MS = 30_000;
/** Per store: the kept answers, and a count of blocks recorded here (a read that raced one is not kept). */
const notBlocked = new WeakMap<Store, { cache: LRUCache<string, true>; blocks: number }>();
const notBlockedIn = (store: Store) => {
  let kept = notBlocked.get(store);
  if (!kept) notBlocked.set(store, (kept = { cache: new LRUCache({ max: 50_000, ttl: NOT_BLOCKED_STALE_MS }), blocks: 0 }));
  return kept;
};

export async function recordBlocked(store: Store, doc: Omit<BlockedUserDoc, '_id'>): Promise<void> {
  const _id = idOf(doc.businessNumberId, doc.customerKey);
  await blocked(store).replaceOne({ _id }, doc, { upsert: true });
  // After the write: a read that started before it and answers later is not kept (see isBlockedInbound).
  const kept = notBlockedIn(store);
  kept.blocks += 1;
  kept.cache.delete(_id);
}

export async function recordUnblocked(store: Store, businessNumberId: string, customerKey: string): Promise<void> {
  await blocked(store).deleteOne({ _id: idOf(businessNumberId, customerKey) });
}

/** The block, read from the store every time (sends and the Block API: exact). */
export async function findBlocked(store: Store, businessNumberId: string, customerKey: string): Promise<BlockedUserDoc | null> {
  return blocked(store).findOne({ _id: idOf(businessNumberId, customerKey) });
}

/**
 * Whether an inbound message's sender is blocked on that number, for the webhook's hot path: "not blocked" is kept
 * for {@link NOT_BLOCKED_STALE_MS} (bounded, least recently used dropped first), "blocked" is read every time, so an
 * unblock anywhere takes effect on the next message. A block through this process drops the kept answer at once.
 */
export async function isBlockedInbound(store: Store, businessNumberId: string, customerKey: string): Promise<boolean> {
  const _id = idOf(businessNumberId, customerKey);
  const kept = notBlockedIn(store);
  if (kept.cache.has(_id)) return false;
  const blocksBefore = kept.blocks;
  const doc = await blocked(store).findOne({ _id }, { projection: { _id: 1 } });
  if (!doc && kept.blocks === blocksBefore) kept.cache.set(_id, true);
  return doc !== null;
}
