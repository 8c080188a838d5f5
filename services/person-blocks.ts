import type { Store } from '../store/db';
import { mongoRegistry } from '../store/customer-registry.db';
import { conversationPersonId, type ConversationCustomer } from './customer-identity';
import { adoptLegacyBlock, findBlocked, isBlockedInbound, legacyBlocks, type BlockedUserDoc } from '../store/blocked-users.store';

/**
 * Blocks are the person's, not one identifier's: Meta blocks a WhatsApp user ("the user cannot contact your business",
 * "your business cannot message the user", https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/),
 * and a user known by phone number and BSUID is one WhatsApp user
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/), one person in
 * the customer registry. So a send or a message through any of their conversations asks about the same block.
 */

/**
 * Moves every block written before blocks were the person's (`_id` `<number>:<conversation key>`, no `personId`) to
 * the person its key names now. Idempotent, no transaction (store/blocked-users.store.ts `adoptLegacyBlock`); answers
 * how many it moved. Runs once per process before any block is read ({@link blocksByPerson}).
 */
export async function moveLegacyBlocks(store: Store): Promise<number> {
  const registry = mongoRegistry(store);
  let moved = 0;
  for (const legacy of await legacyBlocks(store)) {
    const personId = await conversationPersonId(registry, subjectOf(legacy));
    if (!personId) continue; // names nobody: no conversation of the connector's was keyed so; left as it is
    await adoptLegacyBlock(store, legacy, personId);
    moved += 1;
  }
  return moved;
}
const subjectOf = (legacy: BlockedUserDoc): ConversationCustomer => ({ key: legacy.customerKey, ...(legacy.waId ?? legacy.user ? { waId: legacy.waId ?? legacy.user } : {}) });

const moves = new WeakMap<Store, Promise<number>>();
/** The legacy move for this store, started by the first block read in this process; a failed one is tried again. */
export function blocksByPerson(store: Store): Promise<number> {
  let move = moves.get(store);
  if (!move) {
    move = moveLegacyBlocks(store).catch((err: unknown) => {
      moves.delete(store);
      throw err;
    });
    moves.set(store, move);
  }
  return move;
}

/** The person's block on the number, exact: the registry asked for the latest merges (sends, the Block API). */
export async function findPersonBlock(store: Store, businessNumberId: string, customer: ConversationCustomer): Promise<BlockedUserDoc | null> {
  await blocksByPerson(store);
  const personId = await conversationPersonId(mongoRegistry(store), customer);
  return personId ? findBlocked(store, businessNumberId, personId) : null;
}

/**
 * For the webhook's hot path: whether the sender's person is blocked on the number. The person as this process knows
 * them (a merge by another process reaches it within `NO_LINK_STALE_MS`), "not blocked" kept for `NOT_BLOCKED_STALE_MS`
 * (store/blocked-users.store.ts); both 30 s, both dropped at once by a merge or block through this process.
 */
export async function isPersonBlockedInbound(store: Store, businessNumberId: string, customer: ConversationCustomer): Promise<boolean> {
  await blocksByPerson(store);
  const personId = await conversationPersonId(mongoRegistry(store, { trustNoLink: true }), customer);
  return personId ? isBlockedInbound(store, businessNumberId, personId) : false;
}
