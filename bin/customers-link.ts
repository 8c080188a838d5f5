/**
 * One-off: links conversations that split one person (from before the customer registry) to one customer.
 *   npm run customers:link -- --dry-run     # prints what it would do, writes nothing
 *   npm run customers:link                  # does it (idempotent: run it again and nothing changes)
 */
import { parseArgs } from 'node:util';
import { loadStoreConfig } from '../lib/config';
import { connectStore } from '../store/db';
import { linkCustomers } from '../services/customers-link';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log('Usage: npm run customers:link -- [--dry-run]\nLearns every conversation\'s customer into the registry. Reads MONGODB_URL and MONGODB_DB.');
    return 0;
  }
  const config = loadStoreConfig();
  const store = await connectStore(config.MONGODB_URL, config.MONGODB_DB);
  try {
    const report = await linkCustomers(store, { dryRun: values['dry-run'] === true });
    console.log(`${report.dryRun ? 'Dry run (nothing written): ' : ''}${report.conversations} conversations, ${report.customers} customers`);
    for (const person of report.linked) {
      console.log(`  ${person.customerId}: ${person.conversationIds.join(', ')} are one person; new messages go to key ${person.conversationKey}`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
