import type { Store } from '../../store/db';
import { useTestStore } from '../support/test-store';

/**
 * Every hot-path read and write in store/ is shaped as a filter on `_id` alone, so that the store answers it from the
 * `_id` index however many documents there are (README "The store under load"). This checks the store really does:
 * FerretDB 1.24 on SQLite used to scan the table for each of them (its SQL wrote `->'$._id'` where its index says
 * `->"_id"`; tools/ferretdb/build.sh fixes it), which made every update cost more with every document.
 * FerretDB's `explain` runs SQLite's `EXPLAIN QUERY PLAN` on the very statement it would run; its finds, updates and
 * deletes by `_id` share that WHERE clause. MongoDB's says IDHACK / EXPRESS_IXSCAN / IXSCAN, never COLLSCAN.
 */
let store: Store;
useTestStore('id_lookups', (connected) => (store = connected));

/** Every plan line (FerretDB) or stage (MongoDB) of the answer to `explain`. */
function planOf(explained: Record<string, unknown>): string[] {
  const planner = explained.queryPlanner as Record<string, unknown>;
  if (Array.isArray(planner.Plan)) return planner.Plan as string[];
  const stages: string[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const { stage, inputStage, inputStages, queryPlan } = node as Record<string, unknown>;
    if (typeof stage === 'string') stages.push(stage);
    [inputStage, queryPlan, ...((inputStages as unknown[]) ?? [])].forEach(walk);
  };
  walk(planner.winningPlan);
  return stages;
}

describe('a look-up by _id', () => {
  it.each(['conversations', 'messages', 'customers', 'customer_identifiers'])('is answered from the _id index in %s, not by a scan', async (name) => {
    const collection = store.db.collection<{ _id: string; n: number }>(name);
    await collection.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `doc.${n}`, n })));

    const explained = await store.db.command({ explain: { find: name, filter: { _id: 'doc.7' } } });
    const plan = planOf(explained);

    expect(plan.length).toBeGreaterThan(0);
    expect(plan.some((line) => /USING INDEX|IDHACK|IXSCAN/.test(line))).toBe(true);
    expect(plan.filter((line) => /\bSCAN\b|COLLSCAN/.test(line))).toEqual([]);
    // And the answer is the one document.
    expect(await collection.findOne({ _id: 'doc.7' })).toEqual({ _id: 'doc.7', n: 7 });
  });
});
