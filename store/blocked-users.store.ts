import { LRUCache } from 'lru-cache';
import { isDuplicateKey, type Store } from './db';

/**
 * A person the business blocked on one of its numbers through Meta's Block Users API. Meta blocks a WhatsApp user: "the
 * user cannot contact your business" and "your business cannot message the user"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/). A user known to us by phone
 * number and BSUID is one WhatsApp user, one person in the customer registry (store/customers.store.ts), so the block is
 * the person's: `_id` `<phoneNumberId>:<personId>`, one write per person per number, so concurrent blocks cannot
 * duplicate. `personId` is the registry's root customer id (`cus_…`) when blocked; a later merge copies the block to
 * the surviving root before the merge is written and settles it after (see {@link carryBlocks}).
 *
 * Documents written before blocks were the person's have `_id` `<phoneNumberId>:<conversation customer key>` and no
 * `personId`; services/person-blocks.ts moves each to its person once per process ({@link legacyBlocks}).
 */
export interface BlockedUserDoc {
  _id: string;
  businessNumberId: string;
  /** The registry's customer id of the person (absent on documents from before blocks were the person's). */
  personId?: string;
  /** The customer a merge copied it from (store/customers.store.ts `union`); absent on a block made on this person. */
  carriedFrom?: string;
  /** The customer key of the conversation it was made through (the `<key>` of `wa:<number>:<key>`), for people reading the store. */
  customerKey: string;
  /** What WhatsApp was told (the phone number or WhatsApp id) and the WhatsApp id it answered. */
  user: string;
  waId?: string;
  blockedAt: Date;
  blockedBy: string;
}

const blocked = (store: Store) => store.db.collection<BlockedUserDoc>('blocked_users');
const idOf = (businessNumberId: string, personId: string) => `${businessNumberId}:${personId}`;

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
/** After a block is written: a read that started before it and answers later is not kept (see isBlockedInbound). */
function forgetNotBlocked(store: Store, _id: string): void {
  const kept = notBlockedIn(store);
  kept.blocks += 1;
  kept.cache.delete(_id);
}

/** Blocks the person on the number (a second block of the same person replaces the first). */
export async function recordBlocked(store: Store, doc: Omit<BlockedUserDoc, '_id'> & { personId: string }): Promise<void> {
  const _id = idOf(doc.businessNumberId, doc.personId);
  await blocked(store).replaceOne({ _id }, doc, { upsert: true });
  forgetNotBlocked(store, _id);
}

/**
 * Unblocks the person on the number: `personIds` are every customer id that is the person now (the root and those
 * merged into it, store/customers.store.ts `membersOf`), since a process that has not yet seen a merge still reads the
 * merged customer's copy of the block.
 */
export async function recordUnblocked(store: Store, businessNumberId: string, personIds: readonly string[]): Promise<void> {
  for (const personId of personIds) await blocked(store).deleteOne({ _id: idOf(businessNumberId, personId) });
}

/**
 * Unblocks, on the number, whoever a block names by this phone number or WhatsApp id (`user`, `waId`), copies a merge
 * carried included: the unblock by WhatsApp id from the number's blocklist, which needs no conversation (an erased
 * person has none). Answers how many documents went.
 */
export async function recordUnblockedUser(store: Store, businessNumberId: string, waId: string): Promise<number> {
  const { deletedCount } = await blocked(store).deleteMany({ businessNumberId, $or: [{ user: waId }, { waId }] });
  return deletedCount;
}

/** The person's block on the number, read from the store every time (sends and the Block API: exact). */
export async function findBlocked(store: Store, businessNumberId: string, personId: string): Promise<BlockedUserDoc | null> {
  return blocked(store).findOne({ _id: idOf(businessNumberId, personId) });
}

/**
 * Whether the person who sent an inbound message is blocked on that number, for the webhook's hot path: "not blocked"
 * is kept for {@link NOT_BLOCKED_STALE_MS} (bounded, least recently used dropped first), "blocked" is read every time,
 * so an unblock anywhere takes effect on the next message. A block through this process drops the kept answer at once.
 */
export async function isBlockedInbound(store: Store, businessNumberId: string, personId: string): Promise<boolean> {
  const _id = idOf(businessNumberId, personId);
  const kept = notBlockedIn(store);
  if (kept.cache.has(_id)) return false;
  const blocksBefore = kept.blocks;
  const doc = await blocked(store).findOne({ _id }, { projection: { _id: 1 } });
  if (!doc && kept.blocks === blocksBefore) kept.cache.set(_id, true);
  return doc !== null;
}

/**
 * A merge is about to make customer `from` part of person `into`: each of `from`'s blocks is copied to `into` (insert
 * only, so a block `into` already holds on that number stays as it was; the copy names `carriedFrom`). Called before
 * the merge's link is written, so no reader ever finds the merged person unblocked; `from`'s own documents stay for
 * processes that have not seen the merge yet. Blocks are few and merges rare: the reads by `personId` may scan
 * (FerretDB 1.x) without cost on the hot path.
 */
export async function carryBlocks(store: Store, from: string, into: string): Promise<void> {
  for (const doc of await blocked(store).find({ personId: from }).toArray()) {
    const _id = idOf(doc.businessNumberId, into);
    try {
      await blocked(store).insertOne({ ...doc, _id, personId: into, carriedFrom: from });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    forgetNotBlocked(store, _id);
  }
}

/**
 * After the merge's link is written: what changed on `from` while it was being written follows. A block made on
 * `from` meanwhile is copied; a copy whose original was lifted meanwhile (an unblock that still saw `from` as the
 * person) is lifted too, so neither a block nor an unblock racing a merge is lost.
 */
export async function settleCarriedBlocks(store: Store, from: string, into: string): Promise<void> {
  await carryBlocks(store, from, into);
  for (const copy of await blocked(store).find({ personId: into, carriedFrom: from }).toArray()) {
    const original = await blocked(store).findOne({ _id: idOf(copy.businessNumberId, from) }, { projection: { _id: 1 } });
    if (!original) await blocked(store).deleteOne({ _id: copy._id, carriedFrom: from });
  }
}

/** Documents from before blocks were the person's (no `personId`): read once per process to move them. */
export async function legacyBlocks(store: Store): Promise<BlockedUserDoc[]> {
  return blocked(store).find({ personId: { $exists: false } }).toArray();
}

/**
 * Moves a legacy document to its person without a transaction (FerretDB 1.x has none): the person's document is
 * inserted first (one they already hold wins), then the legacy one deleted, so a crash in between leaves the block in
 * both places, never in none, and the next run finishes the move.
 */
export async function adoptLegacyBlock(store: Store, legacy: BlockedUserDoc, personId: string): Promise<void> {
  const { _id: legacyId, ...fields } = legacy;
  const _id = idOf(legacy.businessNumberId, personId);
  try {
    await blocked(store).insertOne({ ...fields, _id, personId });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  forgetNotBlocked(store, _id);
  await blocked(store).deleteOne({ _id: legacyId });
}

/**
 * Erasure (store/erasure.store.ts): deletes every block document that names the person, by any of their customer ids
 * (`personId`, or `carriedFrom` on a copy a merge made), a conversation key (documents from before blocks were the
 * person's), or a phone number / WhatsApp id in `user` or `waId`. The block at WhatsApp is not lifted: only the
 * connector's copy, which holds their identifiers in clear, goes. Answers how many documents went. A plain
 * `deleteMany` over few documents (FerretDB scans; blocks are few).
 */
export async function eraseBlocksNaming(store: Store, person: { personIds: readonly string[]; customerKeys: readonly string[]; users: readonly string[] }): Promise<number> {
  const users = [...new Set(person.users)];
  const { deletedCount } = await blocked(store).deleteMany({
    $or: [
      { personId: { $in: [...person.personIds] } },
      { carriedFrom: { $in: [...person.personIds] } },
      { customerKey: { $in: [...person.customerKeys] } },
      { user: { $in: users } },
      { waId: { $in: users } },
    ],
  });
  return deletedCount;
}
