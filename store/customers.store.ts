import { randomBytes } from 'node:crypto';
import { identifierId, identifiersOf, personPhone, usernameKey, type Identifier, type IdentityHints } from '../lib/customer-identifiers';
import type { CustomerDoc, RegistryDb } from './customer-registry.db';

/**
 * The customer registry: every identifier a person is known by resolves to one customer, exactly, under concurrency,
 * on MongoDB and on FerretDB 1.x without transactions. Three insert-only facts make it so:
 * - an identifier document (`_id` `<kind>:<value>`) names its customer; the first insert wins and it never changes;
 * - a customer document holds the conversation key and the profile;
 * - a link (`_id` the younger customer, `into` the older) records that two customers are one person.
 * A person is the root of a union-find over links; links always point to an older id, so there are no cycles, and
 * two racing merges of one customer collide on its link's `_id`: the loser merges the two roots instead.
 *
 * Meta: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 */

export interface Learned {
  hints: IdentityHints;
  /** `user_changed_number`: the number they left; it stays theirs for lookups but is never sent to again. */
  formerPhone?: string;
  /** Identifiers they had before (a `system` notice's previous BSUIDs): joined to them, not made current. */
  previous?: IdentityHints;
  /**
   * For a person not yet known: the conversation key to give them (default: the BSUID, else the phone number, as
   * conversations were keyed before the registry). The ingest passes a function that finds an existing conversation.
   */
  conversationKey?: (candidates: string[]) => Promise<string | undefined>;
  now: Date;
}

let sequence = 0;
/** Sortable by creation: base-36 time, a per-process sequence (ids made in one millisecond keep their order), random. */
export function newCustomerId(now: Date): string {
  sequence = (sequence + 1) % 36 ** 4;
  return `cus_${now.getTime().toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
}

/** The person a customer id belongs to now (follows links to the root). */
export async function rootOf(db: RegistryDb, customerId: string): Promise<string> {
  let id = customerId;
  for (let depth = 0; depth < 64; depth += 1) {
    const link = await db.find('links', id);
    if (!link) return id;
    id = link.into;
  }
  throw new Error(`customer links from ${customerId} do not end`);
}

/** The person an identifier names, or undefined when nobody is known by it. */
export async function ownerOf(db: RegistryDb, identifier: Identifier): Promise<string | undefined> {
  const doc = await db.find('identifiers', identifierId(identifier));
  return doc ? rootOf(db, doc.customerId) : undefined;
}

/** Makes two customers one person; answers the surviving root (the older id). */
export async function union(db: RegistryDb, a: string, b: string, now: Date): Promise<string> {
  const [rootA, rootB] = await Promise.all([rootOf(db, a), rootOf(db, b)]);
  if (rootA === rootB) return rootA;
  const [survivor, loser] = rootA < rootB ? [rootA, rootB] : [rootB, rootA];
  // Before the link: no reader may see the merged person without what the loser carried (a block). Should the link
  // lose its race, the loser joins someone the survivor is merged with next, so the copy is still theirs.
  await db.joining?.(loser, survivor);
  // Lost the race for the loser's link: it joined someone else meanwhile; merge the two roots instead.
  if (!(await db.insert('links', { _id: loser, into: survivor, at: now }))) return union(db, survivor, loser, now);
  // A block or unblock of the loser that landed while the link was written follows it (store/blocked-users.store.ts).
  await db.joined?.(loser, survivor);
  const [kept, joined] = await Promise.all([db.find('customers', survivor), db.find('customers', loser)]);
  const keys = [...(kept?.mergedKeys ?? []), ...(joined ? [joined.conversationKey, ...(joined.mergedKeys ?? [])] : [])];
  const mergedKeys = [...new Set(keys)].filter((key) => key !== kept?.conversationKey);
  if (kept && mergedKeys.length > (kept.mergedKeys ?? []).length) await db.set('customers', survivor, { mergedKeys });
  return rootOf(db, survivor);
}

/** Claims an identifier for a person; if someone else holds it, they are the same person. */
async function claim(db: RegistryDb, identifier: Identifier, customerId: string, now: Date): Promise<string> {
  const id = identifierId(identifier);
  if (await db.insert('identifiers', { _id: id, customerId, at: now })) return rootOf(db, customerId);
  const holder = await db.find('identifiers', id);
  if (!holder) return claim(db, identifier, customerId, now);
  return mergesOn(identifier) ? union(db, customerId, holder.customerId, now) : rootOf(db, customerId);
}

/**
 * Phone numbers and BSUIDs name one user (a BSUID forever, a number until it is recycled); a username can be given up
 * and taken by someone else, so it names its first holder for lookups but never makes two customers one person.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/
 */
const mergesOn = (identifier: Identifier) => identifier.kind !== 'username';

/** A new customer that owns the first identifier, or, if another caller got there first, that caller's customer. */
async function create(db: RegistryDb, learned: Learned, first: Identifier): Promise<string> {
  const { hints, now } = learned;
  const candidates = [hints.userId, hints.waId ?? hints.phones?.[0]].filter((k): k is string => Boolean(k));
  const conversationKey = (await learned.conversationKey?.(candidates)) ?? candidates[0] ?? identifierId(first);
  const customerId = newCustomerId(now);
  await db.insert('customers', { _id: customerId, conversationKey, ...profileOf(hints), createdAt: now, updatedAt: now });
  if (await db.insert('identifiers', { _id: identifierId(first), customerId, at: now })) return customerId;
  // Nothing names the candidate (it claimed nothing, nobody links to it): drop it and join the winner.
  await db.remove('customers', customerId);
  const winner = await ownerOf(db, first);
  return winner ?? create(db, learned, first);
}

function profileOf(hints: IdentityHints): Partial<CustomerDoc> {
  return {
    ...(hints.waId ? { waId: hints.waId } : {}),
    ...(hints.userId ? { userId: hints.userId } : {}),
    ...(hints.parentUserId ? { parentUserId: hints.parentUserId } : {}),
    ...(hints.username ? { username: hints.username } : {}),
    ...(hints.profileName ? { profileName: hints.profileName } : {}),
  };
}

/**
 * Learns what a webhook, a send answer or an integrator says about one person and answers that person's customer
 * (the root, profile refreshed). Identifiers nobody holds are claimed for them; identifiers held by another customer
 * merge the two. Idempotent: learning the same thing twice changes nothing.
 * Throws when the hints name no identifier.
 */
export async function learnIdentifiers(db: RegistryDb, learned: Learned): Promise<CustomerDoc> {
  try {
    return await learnOnce(db, learned);
  } catch (err) {
    if (!(err instanceof CustomerGone) || !db.forget) throw err;
    // Erased by another process after this one kept their identifiers: read them again (gone: a new person).
    for (const identifier of identifiersIn(learned)) db.forget('identifiers', identifierId(identifier));
    db.forget('links', err.customerId);
    return learnOnce(db, learned);
  }
}

/** A customer an identifier or link leads to has no document: erased (store/erasure.store.ts) meanwhile. */
class CustomerGone extends Error {
  constructor(readonly customerId: string) {
    super(`customer ${customerId} has no document`);
  }
}

function identifiersIn(learned: Learned): Identifier[] {
  const identifiers = identifiersOf(learned.hints);
  for (const old of identifiersOf(learned.previous ?? {})) {
    if (!identifiers.some((i) => i.kind === old.kind && i.value === old.value)) identifiers.push(old);
  }
  if (learned.formerPhone) identifiers.push({ kind: 'phone', value: personPhone(learned.formerPhone) });
  return identifiers;
}

async function learnOnce(db: RegistryDb, learned: Learned): Promise<CustomerDoc> {
  const identifiers = identifiersIn(learned);
  if (identifiers.length === 0) throw new Error('no identifier to learn');
  // Usernames last: they name a person but never join two (see mergesOn).
  identifiers.sort((a, b) => Number(!mergesOn(a)) - Number(!mergesOn(b)));
  let root: string | undefined;
  const unowned: Identifier[] = [];
  const roots = new Map<string, string>(); // one link read per customer per call, however many identifiers name it
  for (const identifier of identifiers) {
    const held = await db.find('identifiers', identifierId(identifier));
    if (held && !roots.has(held.customerId)) roots.set(held.customerId, await rootOf(db, held.customerId));
    const owner = held ? roots.get(held.customerId) : undefined;
    if (!owner) unowned.push(identifier);
    // A held username names the person only when nothing else in the message does.
    else if (!mergesOn(identifier)) root ??= identifiers.some(mergesOn) ? undefined : owner;
    else root = root && root !== owner ? await union(db, root, owner, learned.now) : owner;
  }
  // An identifier's owner never changes, so only the ones nobody held are claimed (the usual webhook claims none).
  if (!root) root = await create(db, learned, unowned.shift()!);
  for (const identifier of unowned) root = await claim(db, identifier, root, learned.now);
  return refreshProfile(db, root, learned);
}

async function refreshProfile(db: RegistryDb, customerId: string, learned: Learned): Promise<CustomerDoc> {
  // A kept copy that agrees with what arrived saves the read; any difference is decided on a fresh one.
  const kept = db.peek?.('customers', customerId);
  if (kept && Object.keys(changesFor(kept, learned)).length === 0) return kept;
  const doc = await db.find('customers', customerId);
  if (!doc) throw new CustomerGone(customerId);
  const changes = changesFor(doc, learned);
  if (Object.keys(changes).length === 0) return doc;
  const updated = { ...doc, ...changes, updatedAt: learned.now } as CustomerDoc;
  await db.set('customers', customerId, { ...changes, updatedAt: learned.now });
  return updated;
}

/** The profile fields that differ from what was learned (a number left is never made current again). */
function changesFor(doc: CustomerDoc, learned: Learned): Record<string, unknown> {
  const former = [...(doc.formerPhones ?? [])];
  if (learned.formerPhone && !former.includes(learned.formerPhone)) former.push(learned.formerPhone);
  const profile = profileOf(learned.hints);
  // A late webhook from the number they left must not make it the send target again.
  if (profile.waId && former.includes(profile.waId)) delete profile.waId;
  if (profile.username && doc.username && usernameKey(profile.username) === usernameKey(doc.username)) delete profile.username;
  const changes: Record<string, unknown> = Object.fromEntries(Object.entries(profile).filter(([field, value]) => doc[field as keyof CustomerDoc] !== value));
  if (learned.formerPhone && doc.waId === learned.formerPhone && !profile.waId) changes.waId = undefined;
  if (former.length !== (doc.formerPhones ?? []).length) changes.formerPhones = former;
  return changes;
}

/** The person an identifier names, with their document; undefined when nobody is known by it. */
export async function findCustomerBy(db: RegistryDb, identifier: Identifier): Promise<CustomerDoc | undefined> {
  const owner = await ownerOf(db, identifier);
  return owner ? ((await db.find('customers', owner)) ?? undefined) : undefined;
}

/** A customer by id; a merged id answers the person it joined. */
export async function findCustomer(db: RegistryDb, customerId: string): Promise<CustomerDoc | undefined> {
  return (await db.find('customers', await rootOf(db, customerId))) ?? undefined;
}

/** Every customer id that is this person (the root and everything linked into it, transitively). */
export async function membersOf(db: RegistryDb, root: string): Promise<string[]> {
  const members = [root];
  for (let frontier = [root]; frontier.length > 0; ) {
    const joined = (await db.where('links', 'into', frontier)).map((link) => link._id);
    members.push(...joined);
    frontier = joined;
  }
  return members;
}
