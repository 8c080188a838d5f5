import { MongoClient } from 'mongodb';
import type { Store } from '../../store/db';
import { testEnv } from '../support/env';
import { useTestStore } from '../support/test-store';
import { mongoRegistry, type RegistryDb } from '../../store/customer-registry.db';
import { learnIdentifiers, membersOf } from '../../store/customers.store';
import { recordBlocked, recordUnblocked, type BlockedUserDoc } from '../../store/blocked-users.store';
import { blocksByPerson, findPersonBlock, isPersonBlockedInbound, moveLegacyBlocks } from '../../services/person-blocks';
import { conversationPersonId } from '../../services/customer-identity';
import { eraseSubjectData } from '../../store/erasure.store';

/**
 * Blocks are the person's (services/person-blocks.ts): Meta blocks a WhatsApp user, and one known by number and BSUID
 * is one user (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/). On the real
 * store (FerretDB 1.x without transactions, or MONGODB_URL), including documents written when blocks were keyed by
 * the conversation's customer key.
 */
let store: Store;
useTestStore('person_blocks', (connected) => (store = connected));

const NUMBER = '106540352242922';
const now = new Date('2026-12-01T01:00:00Z');
const digits = () => String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));
const newPerson = () => ({ phone: `1555${digits().slice(0, 7)}`, bsuid: `US.${digits()}${digits()}` });
const blockedUsers = () => store.db.collection<BlockedUserDoc>('blocked_users');
/** A block as the connector wrote it before blocks were the person's: `_id` `<number>:<conversation customer key>`. */
const legacyBlock = (key: string, user: string) =>
  blockedUsers().insertOne({ _id: `${NUMBER}:${key}`, businessNumberId: NUMBER, customerKey: key, user, waId: user, blockedAt: now, blockedBy: 'supervisor-1' });

describe('blocks written before they were the person\'s', () => {
  it('are moved to the person on the first block read, and then hold for every identifier of theirs', async () => {
    const ada = newPerson();
    const registry = mongoRegistry(store);
    const person = await learnIdentifiers(registry, { hints: { waId: ada.phone, userId: ada.bsuid }, now });
    await legacyBlock(ada.phone, ada.phone); // blocked through the phone-number conversation
    const nobody = newPerson(); // a conversation from before the registry: nobody knows this key yet
    await legacyBlock(nobody.phone, nobody.phone);

    // The first read in this process moves them; then the BSUID conversation asks about the same block.
    expect(await findPersonBlock(store, NUMBER, { key: ada.bsuid, userId: ada.bsuid })).toMatchObject({ personId: person._id, customerKey: ada.phone, blockedBy: 'supervisor-1' });
    expect(await isPersonBlockedInbound(store, NUMBER, { key: ada.bsuid, userId: ada.bsuid })).toBe(true);
    expect(await blockedUsers().findOne({ _id: `${NUMBER}:${ada.phone}` })).toBeNull();
    expect(await blockedUsers().countDocuments({ personId: { $exists: false } })).toBe(0);

    // The key nobody knew names a person now; their BSUID, learned later, joins the block.
    const learned = await learnIdentifiers(registry, { hints: { waId: nobody.phone, userId: nobody.bsuid }, now });
    expect(await blockedUsers().findOne({ _id: `${NUMBER}:${learned._id}` })).toMatchObject({ personId: learned._id, user: nobody.phone });
    expect(await findPersonBlock(store, NUMBER, { key: nobody.bsuid })).not.toBeNull();
    expect(await blocksByPerson(store)).toBe(2); // once per process: a later read does not move again
  });

  it('finishes a move a crash interrupted (the person\'s copy written, the old one not yet deleted), leaving one block', async () => {
    const bo = newPerson();
    const person = await learnIdentifiers(mongoRegistry(store), { hints: { waId: bo.phone, userId: bo.bsuid }, now });
    await legacyBlock(bo.bsuid, bo.phone);
    await blockedUsers().insertOne({ _id: `${NUMBER}:${person._id}`, businessNumberId: NUMBER, personId: person._id, customerKey: bo.bsuid, user: bo.phone, blockedAt: now, blockedBy: 'supervisor-1' });
    expect(await moveLegacyBlocks(store)).toBe(1);
    expect(await moveLegacyBlocks(store)).toBe(0);
    expect(await blockedUsers().find({ user: bo.phone }).toArray()).toEqual([expect.objectContaining({ _id: `${NUMBER}:${person._id}`, personId: person._id })]);
  });
});

describe('a block and a merge', () => {
  it('carries the block to the person a blocked customer is merged into, and an unblock lifts it everywhere', async () => {
    const registry = mongoRegistry(store);
    const cy = newPerson();
    // Known by BSUID first (the older customer, who survives), then by number alone: two customers.
    const older = await learnIdentifiers(registry, { hints: { userId: cy.bsuid }, now });
    const younger = await learnIdentifiers(registry, { hints: { waId: cy.phone }, now: new Date(now.getTime() + 1_000) });
    expect(await isPersonBlockedInbound(store, NUMBER, { key: cy.bsuid })).toBe(false); // "not blocked" now kept
    await recordBlocked(store, { businessNumberId: NUMBER, personId: younger._id, customerKey: cy.phone, user: cy.phone, blockedAt: now, blockedBy: 'agent a-1' });
    expect(await findPersonBlock(store, NUMBER, { key: cy.bsuid })).toBeNull(); // two people still

    // One message names both: one person, and blocked through either identifier at once (the kept answer dropped).
    const merged = await learnIdentifiers(mongoRegistry(store, { trustNoLink: true }), { hints: { waId: cy.phone, userId: cy.bsuid }, now });
    expect(merged._id).toBe(older._id);
    expect(await isPersonBlockedInbound(store, NUMBER, { key: cy.bsuid })).toBe(true);
    expect(await findPersonBlock(store, NUMBER, { key: cy.phone })).toMatchObject({ personId: older._id, blockedBy: 'agent a-1' });

    await recordUnblocked(store, NUMBER, await membersOf(registry, (await conversationPersonId(registry, { key: cy.phone }))!));
    expect(await blockedUsers().countDocuments({ user: cy.phone })).toBe(0);
    expect(await isPersonBlockedInbound(store, NUMBER, { key: cy.phone })).toBe(false);
  });
});

/** The registry, with another process's write landing while a merge's link is being written. */
const racing = (registry: RegistryDb, meanwhile: () => Promise<unknown>): RegistryDb => ({
  ...registry,
  insert: async (collection, doc) => {
    if (collection === 'links') await meanwhile();
    return registry.insert(collection, doc);
  },
});

describe('a block or an unblock racing a merge', () => {
  /** Two customers of one person: the older by BSUID, the younger by number. */
  async function twoCustomers() {
    const who = newPerson();
    const older = await learnIdentifiers(mongoRegistry(store), { hints: { userId: who.bsuid }, now });
    const younger = await learnIdentifiers(mongoRegistry(store), { hints: { waId: who.phone }, now: new Date(now.getTime() + 1_000) });
    const block = { businessNumberId: NUMBER, personId: younger._id, customerKey: who.phone, user: who.phone, blockedAt: now, blockedBy: 'agent a-1' };
    return { ...who, older, younger, block };
  }
  const merge = (registry: RegistryDb, who: { phone: string; bsuid: string }) => learnIdentifiers(registry, { hints: { waId: who.phone, userId: who.bsuid }, now });

  it('lifts the merged person\'s copy when the unblock of the blocked customer lands while the merge is written', async () => {
    const who = await twoCustomers();
    await recordBlocked(store, who.block);
    await merge(racing(mongoRegistry(store), () => recordUnblocked(store, NUMBER, [who.younger._id])), who);
    expect(await findPersonBlock(store, NUMBER, { key: who.bsuid })).toBeNull();
    expect(await blockedUsers().countDocuments({ user: who.phone })).toBe(0);
  });

  it('carries a block made on the blocked customer while the merge is written', async () => {
    const who = await twoCustomers();
    await merge(racing(mongoRegistry(store), () => recordBlocked(store, who.block)), who);
    expect(await findPersonBlock(store, NUMBER, { key: who.bsuid })).toMatchObject({ personId: who.older._id, carriedFrom: who.younger._id });
  });
});

describe('what the person check costs', () => {
  it('adds no store command to the webhook\'s hot path, and one link read to a send', async () => {
    // The same database through a client that reports every command it sends.
    const client = await new MongoClient(testEnv().mongoUrl, { monitorCommands: true }).connect();
    const counted: Store = { ...store, client, db: client.db(store.db.databaseName) };
    const commands: string[] = [];
    client.on('commandStarted', (event) => commands.push(`${event.commandName} ${String(event.command[event.commandName])}`));
    try {
      await blocksByPerson(counted);
      const dee = newPerson();
      // The ingest has just learned the sender (services/customer-identity.ts customerForInbound).
      await learnIdentifiers(mongoRegistry(counted, { trustNoLink: true }), { hints: { waId: dee.phone, userId: dee.bsuid }, now });
      const sender = { key: dee.phone, waId: dee.phone, userId: dee.bsuid };
      commands.length = 0;
      expect(await isPersonBlockedInbound(counted, NUMBER, sender)).toBe(false);
      expect(commands).toEqual(['find blocked_users']); // as when the key was the block's: the registry answered from memory
      commands.length = 0;
      expect(await isPersonBlockedInbound(counted, NUMBER, sender)).toBe(false);
      expect(commands).toEqual([]); // "not blocked" kept
      expect(await findPersonBlock(counted, NUMBER, sender)).toBeNull();
      expect(commands).toEqual(['find customer_links', 'find blocked_users']); // a send asks for merges every time
    } finally {
      await client.close();
    }
  });
});

describe('erasing a blocked person (store/erasure.store.ts)', () => {
  it('removes their block, the copy a merge carried and a block on another number, found from the BSUID alone; others keep theirs', async () => {
    const registry = mongoRegistry(store);
    const dee = newPerson();
    const other = newPerson();
    const older = await learnIdentifiers(registry, { hints: { userId: dee.bsuid }, now });
    const younger = await learnIdentifiers(registry, { hints: { waId: dee.phone }, now: new Date(now.getTime() + 1_000) });
    // Blocked through the phone-number conversation on two numbers, then merged: the copy is carried to the older customer.
    for (const businessNumberId of [NUMBER, '106540352242999']) {
      await recordBlocked(store, { businessNumberId, personId: younger._id, customerKey: dee.phone, user: dee.phone, waId: dee.phone, blockedAt: now, blockedBy: 'agent a-1' });
    }
    await learnIdentifiers(mongoRegistry(store, { trustNoLink: true }), { hints: { waId: dee.phone, userId: dee.bsuid }, now });
    const otherPerson = await learnIdentifiers(registry, { hints: { waId: other.phone }, now });
    await recordBlocked(store, { businessNumberId: NUMBER, personId: otherPerson._id, customerKey: other.phone, user: other.phone, blockedAt: now, blockedBy: 'agent a-1' });
    const naming = async (who: { phone: string; bsuid: string }, ids: string[]) =>
      (await blockedUsers().find({}).toArray()).filter((doc) => [who.phone, who.bsuid, ...ids].some((name) => JSON.stringify(doc).includes(name)));
    expect(await naming(dee, [older._id, younger._id])).toHaveLength(4);

    // Erased by their BSUID: no conversation names the phone, only the registry does.
    const erased = await eraseSubjectData(store, { conversationIds: [], customerKeys: [dee.bsuid], identities: [dee.bsuid] }, async () => undefined);
    expect(erased.blocks).toBe(4);
    expect(await naming(dee, [older._id, younger._id])).toEqual([]);
    expect(await naming(other, [otherPerson._id])).toHaveLength(1);
    expect(await findPersonBlock(store, NUMBER, { key: other.phone })).not.toBeNull();
  });
});
