import fc from 'fast-check';
import { personPhone, type IdentityHints } from '../../lib/customer-identifiers';
import { connectStore, type Store } from '../../store/db';
import { memoryRegistry, mongoRegistry, type RegistryDb } from '../../store/customer-registry.db';
import { findCustomerBy, learnIdentifiers, membersOf, rootOf } from '../../store/customers.store';
import { testEnv, uniqueId } from '../support/env';

let store: Store;
let db: RegistryDb;
beforeAll(async () => {
  store = await connectStore(testEnv().mongoUrl, uniqueId('customers'));
  db = mongoRegistry(store);
});
afterAll(async () => {
  await store?.db.dropDatabase();
  await store?.close();
});

const now = new Date('2026-11-30T10:00:00Z');
const learn = (registry: RegistryDb, hints: IdentityHints) => learnIdentifiers(registry, { hints, now });
const digits = () => String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999));

describe('the customer registry on the real store', () => {
  it('makes one customer when many webhooks for the same new person race', async () => {
    const phone = `1555${digits().slice(0, 7)}`;
    const bsuid = `US.${digits()}${digits()}`;
    const arrivals: IdentityHints[] = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0 ? { waId: phone } : i % 3 === 1 ? { waId: phone, userId: bsuid } : { userId: bsuid, username: '@Ada' },
    );
    const customers = await Promise.all(arrivals.map((hints) => learn(db, hints)));

    const roots = new Set(await Promise.all(customers.map((c) => rootOf(db, c._id))));
    expect(roots.size).toBe(1);
    const person = await findCustomerBy(db, { kind: 'phone', value: phone });
    expect(person?._id).toBe([...roots][0]);
    expect((await findCustomerBy(db, { kind: 'username', value: 'ada' }))?._id).toBe(person?._id);
    // Everyone who raced answers the same conversation key: one conversation per business number.
    expect(new Set(customers.map((c) => c.conversationKey)).size).toBeLessThanOrEqual(2);
    expect((await membersOf(db, person!._id)).length).toBeGreaterThanOrEqual(1);
  });

  it('resolves Mexico 521/52 and Brazil with and without the ninth digit to one person', async () => {
    const mexico = await learn(db, { waId: '5215512345678' });
    expect((await learn(db, { phones: ['525512345678'] }))._id).toBe(mexico._id);
    const brazil = await learn(db, { waId: '551187654321' });
    expect((await learn(db, { phones: ['5511987654321'] }))._id).toBe(brazil._id);
    expect(mexico.waId).toBe('5215512345678');
  });

  it('never makes two people one because a username passed from one to the other', async () => {
    const sam = await learn(db, { waId: `1777${digits().slice(0, 7)}`, userId: `US.${digits()}`, username: '@sam' });
    const other = await learn(db, { waId: `1777${digits().slice(0, 7)}`, userId: `US.${digits()}`, username: '@Sam' });
    expect(other._id).not.toBe(sam._id);
    expect(await rootOf(db, other._id)).toBe(other._id);
    expect(await rootOf(db, sam._id)).toBe(sam._id);
  });

  it('merges two customers found to be one person into the older, whose conversation key stays', async () => {
    const phone = `1666${digits().slice(0, 7)}`;
    const bsuid = `GB.${digits()}`;
    const byPhone = await learn(db, { waId: phone });
    const byBsuid = await learn(db, { userId: bsuid });
    expect(byPhone._id).not.toBe(byBsuid._id);
    const merged = await learn(db, { waId: phone, userId: bsuid });
    expect(merged._id).toBe(byPhone._id);
    expect(merged.conversationKey).toBe(phone);
    expect(await rootOf(db, byBsuid._id)).toBe(byPhone._id);
  });
});

/** A person's identifiers, each possibly written another way (Mexico's 1, Brazil's ninth digit). */
const personArb = fc.record({
  n: fc.integer({ min: 0, max: 2 }),
  local: fc.stringMatching(/^[6-9]\d{7}$/),
  bsuid: fc.stringMatching(/^[0-9]{12}$/),
  username: fc.stringMatching(/^[a-z]{3,8}$/),
});

type Person = { n: number; local: string; bsuid: string; username: string };
const variants = (p: Person): IdentityHints[] => {
  const phones = [
    [`52155${p.local}`, `5255${p.local}`],
    [`55119${p.local}`, `5511${p.local}`],
    [`1415${p.local.slice(0, 7)}`, `1415${p.local.slice(0, 7)}`],
  ][p.n]!;
  const userId = `US.${p.bsuid}`;
  return [
    { waId: phones[0] },
    { phones: [phones[1]!] },
    { userId },
    { waId: phones[0], userId },
    { userId, username: `@${p.username}` },
    { phones: [phones[1]!], userId },
  ];
};

describe('property: no sequence of identifier arrivals splits one person', () => {
  it('whatever arrives, in whatever order and concurrency, every identifier of a person names one customer', async () => {
    await fc.assert(
      fc.asyncProperty(
        personArb,
        // Which arrivals happen (the last one always carries a link between phone and BSUID), in which order, in which batches.
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 8 }),
        async (person, order, batches) => {
          const registry = memoryRegistry();
          const all = variants(person);
          const arrivals = [...order.map((i) => all[i]!), all[3]!];
          for (let at = 0, b = 0; at < arrivals.length; b += 1) {
            const size = batches[b % batches.length]!;
            await Promise.all(arrivals.slice(at, at + size).map((hints) => learn(registry, hints)));
            at += size;
          }
          const owners = new Set<string | undefined>();
          for (const hints of all) {
            if (hints.waId) owners.add((await findCustomerBy(registry, { kind: 'phone', value: personPhone(hints.waId) }))?._id);
            if (hints.userId) owners.add((await findCustomerBy(registry, { kind: 'bsuid', value: hints.userId }))?._id);
          }
          expect(owners.size).toBe(1);
          expect([...owners][0]).toBeDefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('holds on the real store too, for racing arrivals', async () => {
    await fc.assert(
      fc.asyncProperty(personArb, fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 1 }), async (raw, order) => {
        const person = { ...raw, bsuid: `${raw.bsuid}${digits()}`, local: raw.local };
        const all = variants(person);
        await Promise.all([...order, 3].map((i) => learn(db, all[i]!)));
        const ids = new Set<string | undefined>();
        ids.add((await findCustomerBy(db, { kind: 'bsuid', value: all[2]!.userId! }))?._id);
        ids.add((await findCustomerBy(db, { kind: 'phone', value: personPhone(all[0]!.waId!) }))?._id);
        expect(ids.size).toBe(1);
      }),
      // Each run is a new person (a fresh BSUID); phones may repeat across runs, which only merges more.
      { numRuns: 15 },
    );
  });
});
