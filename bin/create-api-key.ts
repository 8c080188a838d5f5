/**
 * Bootstrap: issues an API key straight into the store (the first supervisor key has nobody to ask for it).
 *   npm run create-api-key -- --role supervisor --name "Ada Lovelace"
 */
import { parseArgs } from 'node:util';
import { loadStoreConfig } from '../lib/config';
import { findAgent } from '../store/agents.store';
import { issueApiKey, roles, type Role } from '../store/api-keys.store';
import { connectStore } from '../store/db';

const usage = `Usage: npm run create-api-key -- --role <${roles.join('|')}> --name <who holds it> [--agent-id <registered agent>]
Issues an API key and prints it once (it is stored hashed). An agent key needs --agent-id, an agent registered with
POST /v1/agents. Reads MONGODB_URL and MONGODB_DB.`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { role: { type: 'string' }, name: { type: 'string' }, 'agent-id': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const agentId = values['agent-id'];
  if (!values.role || !roles.includes(values.role as Role) || !values.name?.trim() || (values.role === 'agent') !== (agentId !== undefined)) {
    console.error(usage);
    return 2;
  }
  const config = loadStoreConfig();
  const store = await connectStore(config.MONGODB_URL, config.MONGODB_DB);
  try {
    if (agentId !== undefined && !(await findAgent(store, agentId))) {
      console.error(`No registered agent ${agentId}: register it first (POST /v1/agents)`);
      return 2;
    }
    const issued = await issueApiKey(store, values.role as Role, values.name.trim(), 'create-api-key (bootstrap)', agentId);
    console.log(`${issued.role} key "${issued.name}" (id ${issued.keyId}); shown once, keep it safe:\n${issued.key}`);
    return 0;
  } finally {
    await store.close();
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
