/**
 * `npm run bench:store-ops`: what one store operation by `_id` costs on FerretDB 1.24 (SQLite) as a collection
 * grows, the operations the hot path uses: a read, an insert, and the updates (mark handled, apply a status,
 * replace a projection), one client, one operation at a time; then two updates racing on one document, which
 * FerretDB applies as read-modify-write, so one can be lost. Starts its own FerretDB (or uses MONGODB_URL).
 *
 * Options: --sizes 1000,10000  --ops 50
 */
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { benchStore, machine, runMain, saveResult, startRun, timeMedian } from './bench.support';

const { values: args } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000' }, ops: { type: 'string', default: '50' }, label: { type: 'string', default: 'latest' } } });
const sizes = args.sizes.split(',').map(Number);
const ops = Number(args.ops);

interface Doc {
  _id: string;
  direction: string;
  conversationId: string;
  sortAt: number;
  createdAt: Date;
  raw: string;
  handled: boolean;
  s?: number;
}
const doc = (i: number): Doc => ({ _id: `w.${i}`, direction: 'inbound', conversationId: `wa:1:${i}`, sortAt: i, createdAt: new Date(), raw: 'x'.repeat(300), handled: false });

async function main(): Promise<void> {
  const run = startRun('store-ops', args.label);
  const server = await benchStore('store-ops');
  const url = server.url;
  const client = await MongoClient.connect(url);
  const db = client.db(`store_ops_${Date.now()}`);
  const messages = db.collection<Doc>('messages');
  await messages.createIndex({ conversationId: 1, sortAt: 1 }); // as store/db.ts does
  const rows: Record<string, number | string>[] = [];
  try {
    let size = 0;
    let extra = 1_000_000;
    for (const target of sizes) {
      for (let from = size; from < target; from += 500) await messages.insertMany(Array.from({ length: Math.min(500, target - from) }, (_, k) => doc(from + k)));
      size = target;
      const some = (i: number) => `w.${(i * 7919) % size}`;
      const time = (work: (i: number) => Promise<unknown>) => timeMedian(ops, work);
      rows.push({
        documents: size,
        'findOne _id': await time((i) => messages.findOne({ _id: some(i) })),
        insertOne: await time(() => messages.insertOne(doc((extra += 1)))),
        'updateOne _id': await time((i) => messages.updateOne({ _id: some(i) }, { $set: { handled: true } })),
        'findOneAndUpdate _id': await time((i) => messages.findOneAndUpdate({ _id: some(i) }, { $set: { s: i } }, { returnDocument: 'after' })),
        'replaceOne _id': await time((i) => messages.replaceOne({ _id: some(i) }, doc((i * 7919) % size))),
        // Delete, then insert again: another way to replace a document, if deletes by `_id` do not scan.
        'deleteOne _id': await time((i) => messages.deleteOne({ _id: some(i) })),
        'insertOne again': await time((i) => messages.insertOne(doc((i * 7919) % size))),
      });
    }
    console.log(`\nStore operations by _id, median ms of ${ops} — ${machine()}\n`);
    console.table(rows);

    // Two writers on one document at once, on different fields: a send's acceptance and a delivery status.
    let lost = 0;
    for (let i = 0; i < ops; i += 1) {
      const _id = `race.${i}`;
      await messages.insertOne({ ...doc(0), _id });
      await Promise.all([
        messages.updateOne({ _id }, { $set: { raw: 'accepted' }, $max: { sortAt: 1 } }),
        messages.findOneAndUpdate({ _id }, { $set: { handled: true }, $max: { s: 4 } }),
      ]);
      const after = await messages.findOne({ _id });
      if (after?.raw !== 'accepted' || after.handled !== true || after.s !== 4) lost += 1;
    }
    console.log(`Two concurrent updates to one document, ${ops} times: ${lost} lost one of the two (MongoDB: 0, updates are atomic per document)`);
    saveResult(run, { medianMsByDocuments: rows, racingUpdates: { pairs: ops, lost } });
  } finally {
    await db.dropDatabase();
    await client.close();
    await server.stop();
  }
}

runMain(main);
