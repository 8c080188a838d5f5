import type { Store } from '../../store/db';
import { useTestStore } from '../support/test-store';
import { mongoRegistry, REGISTRY_STALE_MS } from '../../store/customer-registry.db';
import { learnIdentifiers, rootOf } from '../../store/customers.store';
import { isBlockedInbound, recordBlocked, recordUnblocked } from '../../store/blocked-users.store';

/**
 * What the webhook's hot path keeps in memory (README, *The customer registry on the hot path* and the Blocking rule)
 * must never outlive a write: writes through this process take effect at once, another process's unblock at once,
 * and another process's erasure does not leave the person's next message unprocessable.
 */
let store: Store;
useTestStore('registry_cache', (connected) => (store = connected));

const digits = () => String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));
const NUMBER = '106540352242922';

describe('the webhook\'s "not blocked" answers', () => {
  it('takes a block through this process, and an unblock written by another process, on the very next message', async () => {
    const key = `cus_${digits()}`; // a person (the registry's root customer id)
    expect(await isBlockedInbound(store, NUMBER, key)).toBe(false); // now kept
    await recordBlocked(store, { businessNumberId: NUMBER, personId: key, customerKey: '15550001111', user: '15550001111', blockedAt: new Date(), blockedBy: 'supervisor-1' });
    expect(await isBlockedInbound(store, NUMBER, key)).toBe(true);
    // Another API process unblocks: the document is gone, and "blocked" was never kept here.
    await store.db.collection('blocked_users').deleteOne({ _id: `${NUMBER}:${key}` } as never);
    expect(await isBlockedInbound(store, NUMBER, key)).toBe(false);
    await recordBlocked(store, { businessNumberId: NUMBER, personId: key, customerKey: '15550001111', user: '15550001111', blockedAt: new Date(), blockedBy: 'supervisor-1' });
    expect(await isBlockedInbound(store, NUMBER, key)).toBe(true);
    await recordUnblocked(store, NUMBER, [key]);
    expect(await isBlockedInbound(store, NUMBER, key)).toBe(false);
  });
});

describe('the registry kept in memory', () => {
  it('follows a merge made through this process at once, though "no link" was kept for the merged customer', async () => {
    const db = mongoRegistry(store, { trustNoLink: true });
    const now = new Date();
    const phone = `1555${digits().slice(0, 7)}`;
    const bsuid = `US.${digits()}${digits()}`;
    const byPhone = await learnIdentifiers(db, { hints: { waId: phone }, now });
    const byBsuid = await learnIdentifiers(db, { hints: { userId: bsuid }, now });
    expect(await rootOf(db, byBsuid._id)).toBe(byBsuid._id); // "no link" kept for the younger one
    const person = await learnIdentifiers(db, { hints: { waId: phone, userId: bsuid }, now });
    expect(person._id).toBe(byPhone._id);
    expect(await rootOf(db, byBsuid._id)).toBe(byPhone._id);
    expect((await learnIdentifiers(db, { hints: { userId: bsuid }, now }))._id).toBe(byPhone._id);
  });

  it('answers sends and reads (not the ingest) with a merge made by another process at once', async () => {
    const ingest = mongoRegistry(store, { trustNoLink: true });
    const exact = mongoRegistry(store);
    const now = new Date();
    const older = await learnIdentifiers(ingest, { hints: { waId: `1555${digits().slice(0, 7)}` }, now });
    const younger = await learnIdentifiers(ingest, { hints: { userId: `US.${digits()}${digits()}` }, now });
    expect(await rootOf(ingest, younger._id)).toBe(younger._id); // "no link" now kept
    // Another process (the worker learning from a send answer) merges them.
    await store.db.collection('customer_links').insertOne({ _id: younger._id, into: older._id, at: now } as never);
    expect(await rootOf(exact, younger._id)).toBe(older._id);
  });

  it("learns a person erased by another process as new on their next message, instead of failing it", async () => {
    const db = mongoRegistry(store);
    const phone = `1555${digits().slice(0, 7)}`;
    const first = await learnIdentifiers(db, { hints: { waId: phone, profileName: 'Ada' }, now: new Date() });
    // Another API process erases them (store/erasure.store.ts removes the identifiers, links and customers).
    await store.db.collection('customer_identifiers').deleteMany({ customerId: first._id } as never);
    await store.db.collection('customers').deleteOne({ _id: first._id } as never);
    // Past the customer document's few seconds in memory, with a profile that differs so it is read again.
    await new Promise((resolve) => setTimeout(resolve, REGISTRY_STALE_MS + 200));
    const again = await learnIdentifiers(db, { hints: { waId: phone, profileName: 'Ada L.' }, now: new Date() });
    expect(again._id).not.toBe(first._id);
    expect(await store.db.collection('customer_identifiers').findOne({ _id: `phone:${phone}` } as never)).toMatchObject({ customerId: again._id });
  }, 20_000);
});
