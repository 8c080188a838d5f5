import type { Store } from '../../store/db';
import { admitToTier, releaseTier, type TierRequest } from '../../store/tier.store';
import { uniqueId } from '../support/env';
import { useTestStore } from '../support/test-store';

const HOUR = 60 * 60 * 1000;
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

let store: Store;
useTestStore('tier', (connected) => (store = connected));

/** A fresh business portfolio per test, so tests share the database but not a limit. */
const numberOf = () => String(Math.floor(Math.random() * 1e12));
const admit = (businessNumberId: string, customerKey: string, tier: TierRequest['tier'], now: number, messageId = uniqueId('msg')) =>
  admitToTier(store, { portfolioId: businessNumberId, customerKey, messageId, tier, now });

describe('the messaging limit: unique customers outside their window per business portfolio per moving 24 hours', () => {
  it('admits exactly the tier when many senders race for it, and tells the others when the next unit frees', async () => {
    const number = numberOf();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => admit(number, `cust${i}`, 5, T0 + i)));

    expect(answers.filter((a) => a.admitted)).toHaveLength(5);
    for (const refused of answers.filter((a) => !a.admitted)) {
      expect(refused).toEqual({ admitted: false, retryAt: expect.any(Number) });
      expect((refused as { retryAt: number }).retryAt).toBeGreaterThanOrEqual(T0 + 24 * HOUR);
    }
  });

  it('admits a customer who already holds a unit without taking another', async () => {
    const number = numberOf();
    expect(await admit(number, 'ada', 2, T0)).toMatchObject({ admitted: true, ticket: 0 });
    expect(await admit(number, 'bob', 2, T0)).toMatchObject({ admitted: true, ticket: 1 });
    expect(await admit(number, 'ada', 2, T0 + HOUR)).toEqual({ admitted: true });
    expect(await admit(number, 'cyd', 2, T0 + HOUR)).toEqual({ admitted: false, retryAt: T0 + 24 * HOUR });
  });

  it('frees a unit 24 hours after it was taken', async () => {
    const number = numberOf();
    await admit(number, 'ada', 1, T0);
    expect(await admit(number, 'bob', 1, T0 + 24 * HOUR - 1)).toMatchObject({ admitted: false });
    expect(await admit(number, 'bob', 1, T0 + 24 * HOUR + 1)).toMatchObject({ admitted: true });
  });

  it('counts a customer for 24 hours after their latest template, not their first', async () => {
    const number = numberOf();
    await admit(number, 'ada', 3, T0);
    await admit(number, 'ada', 3, T0 + 20 * HOUR); // the unit moves to now
    await admit(number, 'bob', 3, T0 + 21 * HOUR);
    expect(await admit(number, 'cyd', 3, T0 + 22 * HOUR)).toMatchObject({ admitted: true });
    // At hour 25 WhatsApp still counts ada (hour 20), bob and cyd: the tier of 3 is used up until hour 44.
    expect(await admit(number, 'dan', 3, T0 + 25 * HOUR)).toEqual({ admitted: false, retryAt: T0 + 44 * HOUR });
  });

  it('takes a retried send of the same message as the same unit, even with the tier used up', async () => {
    const number = numberOf();
    await admit(number, 'ada', 1, T0, 'msg_1');
    expect(await admit(number, 'ada', 1, T0 + 1, 'msg_1')).toEqual({ admitted: true });
  });

  it('gives a unit back when the send it was taken for is refused', async () => {
    const number = numberOf();
    const first = await admit(number, 'ada', 1, T0);
    await releaseTier(store, number, 'ada', (first as { ticket: number }).ticket);
    expect(await admit(number, 'bob', 1, T0 + 1)).toMatchObject({ admitted: true });
  });

  it('never refuses on an unlimited number and records nothing', async () => {
    const number = numberOf();
    for (let i = 0; i < 5; i += 1) expect(await admit(number, `cust${i}`, 'unlimited', T0)).toEqual({ admitted: true });
    expect(await store.db.collection('tier_tickets').countDocuments({ _id: { $regex: `^portfolio:${number}#` } as never })).toBe(0);
  });
});
