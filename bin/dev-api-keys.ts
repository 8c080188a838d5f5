import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { findAgent, registerAgent } from '../store/agents.store';
import { findApiKey, issueApiKey, roles, type Role } from '../store/api-keys.store';
import type { Store } from '../store/db';

/**
 * One key per role for the embedded demo, kept in a git-ignored file so the README's examples keep working across
 * restarts. A key the store no longer knows (its data was wiped) is issued again.
 */
const DEV_AGENT = 'agent-1';

export async function devApiKeys(store: Store, file: string): Promise<Record<Role, string>> {
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<Role, string>>) : {};
  const keys = {} as Record<Role, string>;
  // The agent key is issued to registered agent agent-1, whom the README's sipp example answers as, serving the
  // routing configuration's default queue.
  if (!(await findAgent(store, DEV_AGENT))) await registerAgent(store, { agentId: DEV_AGENT, name: 'Agent One (dev)', queues: ['default'] }, 'npm start');
  for (const role of roles) {
    const known = saved[role];
    const name = role === 'agent' ? DEV_AGENT : `dev ${role}`;
    const doc = known ? await findApiKey(store, known) : null;
    // Agent keys from before registered agents (no agentId) no longer authenticate: issue a new one.
    const usable = doc && (role !== 'agent' || doc.agentId === DEV_AGENT);
    keys[role] = usable ? known! : (await issueApiKey(store, role, name, 'npm start', role === 'agent' ? DEV_AGENT : undefined)).key;
  }
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
