import type { Store } from '../../store/db';
import { useTestStore } from '../support/test-store';
import { linkCustomers } from '../../services/customers-link';
import { mongoRegistry } from '../../store/customer-registry.db';
import { findCustomerBy } from '../../store/customers.store';

let store: Store;
useTestStore('link', (connected) => (store = connected));

const conversation = (key: string, customer: Record<string, string>, state: string, updatedAt: string) =>
  ({ _id: `wa:106540352242922:${key}`, businessNumberId: '106540352242922', customer: { key, ...customer }, state, updatedAt: new Date(updatedAt) }) as never;

describe('npm run customers:link', () => {
  it('links conversations that split one person, writes nothing on a dry run, loses nothing, and keeps the running one', async () => {
    await store.conversations.insertMany([
      conversation('15550001111', { waId: '15550001111' }, 'closed', '2026-11-01T00:00:00Z'),
      conversation('US.900001', { waId: '15550001111', userId: 'US.900001', username: 'ada' }, 'openSession', '2026-11-02T00:00:00Z'),
      conversation('5215512345678', { waId: '5215512345678' }, 'expiredNeedsTemplate', '2026-11-03T00:00:00Z'),
      conversation('525512345678', { waId: '525512345678' }, 'closed', '2026-11-04T00:00:00Z'),
      conversation('15550002222', { waId: '15550002222' }, 'openSession', '2026-11-05T00:00:00Z'),
      // The same person, an older closed conversation under an older name: the newer profile wins.
      conversation('15550002222x', { waId: '15550002222', profileName: 'Old name' }, 'closed', '2026-10-01T00:00:00Z'),
      conversation('US.900002', { waId: '15550002222', userId: 'US.900002', profileName: 'New name' }, 'openSession', '2026-11-06T00:00:00Z'),
    ]);

    const dry = await linkCustomers(store, { dryRun: true });
    expect(dry.linked.map((p) => p.conversationIds)).toEqual(
      expect.arrayContaining([
        ['wa:106540352242922:15550001111', 'wa:106540352242922:US.900001'],
        ['wa:106540352242922:5215512345678', 'wa:106540352242922:525512345678'],
      ]),
    );
    expect(dry.customers).toBe(3);
    expect(dry.linked).toHaveLength(3);
    expect(await store.db.collection('customers').countDocuments({})).toBe(0);
    expect(await store.db.collection('customer_identifiers').countDocuments({})).toBe(0);

    const real = await linkCustomers(store, { dryRun: false });
    expect(real.linked).toHaveLength(3);
    // Running conversations keep their key: the newest running one of this person.
    expect(real.linked.find((p) => p.conversationIds.includes('wa:106540352242922:US.900002'))?.conversationKey).toBe('US.900002');
    expect((await findCustomerBy(mongoRegistry(store), { kind: 'phone', value: '15550002222' }))?.profileName).toBe('New name');
    expect(real.linked.find((p) => p.conversationIds.includes('wa:106540352242922:US.900001'))?.conversationKey).toBe('US.900001');
    expect(real.linked.find((p) => p.conversationIds.includes('wa:106540352242922:5215512345678'))?.conversationKey).toBe('5215512345678');
    const ada = await findCustomerBy(mongoRegistry(store), { kind: 'phone', value: '15550001111' });
    expect(ada).toMatchObject({ conversationKey: 'US.900001', userId: 'US.900001', username: 'ada' });
    expect(await store.conversations.countDocuments({})).toBe(7);

    // Run again: nothing new.
    const again = await linkCustomers(store, { dryRun: false });
    expect(again.customers).toBe(3);
    expect(await store.db.collection('customers').countDocuments({})).toBe(3);
  });
});
