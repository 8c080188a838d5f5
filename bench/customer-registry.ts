/**
 * `npm run bench:registry`: what the customer registry adds to each webhook on FerretDB 1.24 (SQLite) as it grows:
 * a known person's message (their identifiers already held) with the process's identifier cache warm and cold, and
 * a new person's first message (a customer and two identifiers inserted). One operation at a time. Starts its own
 * FerretDB (or uses MONGODB_URL).
 *
 * Options: --sizes 1000,5000  --ops 50
 */
import { parseArgs } from 'node:util';
import { connectStore } from '../store/db';
import { mongoRegistry } from '../store/customer-registry.db';
import { learnIdentifiers } from '../store/customers.store';
import { benchStore, machine, runMain, saveResult, startRun, timeMedian } from './bench.support';

const { values: args } = parseArgs({ options: { sizes: { type: 'string', default: '1000,5000' }, ops: { type: 'string', default: '50' }, label: { type: 'string', default: 'latest' } } });
const sizes = args.sizes.split(',').map(Number);
const ops = Number(args.ops);
const person = (i: number) => ({ waId: String(15550000000 + i), userId: `US.${1_000_000_000 + i}` });

async function main(): Promise<void> {
  const run = startRun('registry', args.label);
  const server = await benchStore('registry');
  const url = server.url;
  const dbName = `registry_${Date.now()}`;
  const mongoUrl: string = url;
  const store = await connectStore(mongoUrl, dbName);
  const rows: Record<string, number>[] = [];
  try {
    let size = 0;
    let fresh = 10_000_000;
    for (const target of sizes) {
      for (; size < target; size += 1) await learnIdentifiers(mongoRegistry(store), { hints: person(size), now: new Date() });
      const time = (work: (i: number) => Promise<unknown>) => timeMedian(ops, work);
      const some = (i: number) => person((i * 7919) % size);
      // A second connection has an empty identifier cache: the first webhook of a person in a fresh process.
      const cold = await connectStore(mongoUrl, dbName);
      rows.push({
        customers: size,
        // For scale: one read by _id on the same server at the same moment (what the hot path's other steps cost).
        'one findOne by _id': await time((i) => store.db.collection<{ _id: string }>('customer_links').findOne({ _id: `none.${i}` })),
        'known person, cache warm': await time((i) => learnIdentifiers(mongoRegistry(store), { hints: some(i), now: new Date() })),
        'known person, cache cold': await time((i) => learnIdentifiers(mongoRegistry(cold), { hints: some(i + ops), now: new Date() })),
        'new person': await time(() => learnIdentifiers(mongoRegistry(store), { hints: person((fresh += 1)), now: new Date() })),
      });
      await cold.close();
    }
    console.log(`\nCustomer registry per webhook, median ms of ${ops} — ${machine()}\n`);
    console.table(rows);
    saveResult(run, { medianMsByCustomers: rows });
  } finally {
    await store.db.dropDatabase();
    await store.close();
    await server.stop();
  }
}

runMain(main);
