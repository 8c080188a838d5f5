import type { CustomerRef } from '../machines/conversation.types';
import { parseIdentifier, personPhone, type Identifier, type IdentifierKind, type IdentityHints } from '../lib/customer-identifiers';
import type { Store } from '../store/db';
import { mongoRegistry, type RegistryDb } from '../store/customer-registry.db';
import { learnIdentifiers, ownerOf } from '../store/customers.store';
import { adoptLegacyBlock, findBlocked, isBlockedInbound, legacyBlocks, type BlockedUserDoc } from '../store/blocked-users.store';

/**
 * Blocks are the person's, not one identifier's: Meta blocks a WhatsApp user ("the user cannot contact your business",
 * "your business cannot message the user", https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/),
 * and a user known by phone number and BSUID is one WhatsApp user
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/), one person in
 * the customer registry. So a send or a message through any of their conversations asks about the same block.
 */

/** The conversation's customer as the checks need it: its key, and the identifiers WhatsApp gave with it. */
export type BlockSubject = Pick<CustomerRef, 'key'> & Partial<Pick<CustomerRef, 'waId' | 'userId'>>;

const KEYED = /^(phone|bsuid|parent_bsuid|username):(.+)$/;
/**
 * The identifier a conversation key names: a phone number as WhatsApp writes it (`wa_id`, matched in person form as
 * the registry stores it, whether or not libphonenumber finds it possible), a BSUID, or `<kind>:<value>` for someone
 * known by neither.
 */
function keyIdentifier(key: string): Identifier | undefined {
  const keyed = KEYED.exec(key);
  if (keyed) return { kind: keyed[1] as IdentifierKind, value: keyed[2]! };
  return /^\d{1,20}$/.test(key) ? { kind: 'phone', value: personPhone(key) } : parseIdentifier(key);
}

/** What the names say, for learning a person nobody knows yet (every phone number, the first of each other kind). */
function hintsOf(names: Identifier[]): IdentityHints {
  const first = (kind: IdentifierKind) => names.find((name) => name.kind === kind)?.value;
  const phones = names.filter((name) => name.kind === 'phone').map((name) => name.value);
  const [userId, parentUserId, username] = [first('bsuid'), first('parent_bsuid'), first('username')];
  return { ...(phones.length > 0 ? { phones } : {}), ...(userId ? { userId } : {}), ...(parentUserId ? { parentUserId } : {}), ...(username ? { username } : {}) };
}

/**
 * The person (the registry's root customer id, `cus_…`) a conversation's customer is: whoever its key names, else its
 * BSUID, else its number. Nobody known by any of them (a conversation from before the registry): learned now, as
 * services/customer-identity.ts `preferredRecipient` does. Undefined when the customer names no identifier at all
 * (no conversation the connector keyed does): then nobody can have blocked them.
 */
export async function personIdOf(registry: RegistryDb, customer: BlockSubject): Promise<string | undefined> {
  const names = [
    keyIdentifier(customer.key),
    customer.userId ? ({ kind: 'bsuid', value: customer.userId } as const) : undefined,
    customer.waId ? ({ kind: 'phone', value: personPhone(customer.waId) } as const) : undefined,
  ].filter((name): name is Identifier => name !== undefined);
  if (names.length === 0) return undefined;
  for (const name of names) {
    const owner = await ownerOf(registry, name);
    if (owner) return owner;
  }
  return (await learnIdentifiers(registry, { hints: hintsOf(names), now: new Date() }))._id;
}

/**
 * Moves every block written before blocks were the person's (`_id` `<number>:<conversation key>`, no `personId`) to
 * the person its key names now. Idempotent, no transaction (store/blocked-users.store.ts `adoptLegacyBlock`); answers
 * how many it moved. Runs once per process before any block is read ({@link blocksByPerson}).
 */
export async function moveLegacyBlocks(store: Store): Promise<number> {
  const registry = mongoRegistry(store);
  let moved = 0;
  for (const legacy of await legacyBlocks(store)) {
    const personId = await personIdOf(registry, subjectOf(legacy));
    if (!personId) continue; // names nobody: no conversation of the connector's was keyed so; left as it is
    await adoptLegacyBlock(store, legacy, personId);
    moved += 1;
  }
  return moved;
}
const subjectOf = (legacy: BlockedUserDoc): BlockSubject => ({ key: legacy.customerKey, ...(legacy.waId ?? legacy.user ? { waId: legacy.waId ?? legacy.user } : {}) });

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
export async function findPersonBlock(store: Store, businessNumberId: string, customer: BlockSubject): Promise<BlockedUserDoc | null> {
  await blocksByPerson(store);
  const personId = await personIdOf(mongoRegistry(store), customer);
  return personId ? findBlocked(store, businessNumberId, personId) : null;
}

/**
 * For the webhook's hot path: whether the sender's person is blocked on the number. The person as this process knows
 * them (a merge by another process reaches it within `NO_LINK_STALE_MS`), "not blocked" kept for `NOT_BLOCKED_STALE_MS`
 * (store/blocked-users.store.ts); both 30 s, both dropped at once by a merge or block through this process.
 */
export async function isPersonBlockedInbound(store: Store, businessNumberId: string, customer: BlockSubject): Promise<boolean> {
  await blocksByPerson(store);
  const personId = await personIdOf(mongoRegistry(store, { trustNoLink: true }), customer);
  return personId ? isBlockedInbound(store, businessNumberId, personId) : false;
}
