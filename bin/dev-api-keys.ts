import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { findApiKey, issueApiKey, roles, type Role } from '../store/api-keys.store';
import type { Store } from '../store/db';

/**
 * One key per role for the embedded demo, kept in a git-ignored file so the README's examples keep working across
 * restarts. A key the store no longer knows (its data was wiped) is issued again.
 */
export async function devApiKeys(store: Store, file: string): Promise<Record<Role, string>> {
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<Role, string>>) : {};
  const keys = {} as Record<Role, string>;
  for (const role of roles) {
    const known = saved[role];
    // An agent key's name is the agent id the contact centre's answers name: agent-1, as in the README's sipp example.
    const name = role === 'agent' ? 'agent-1' : `dev ${role}`;
    keys[role] = known && (await findApiKey(store, known)) ? known : (await issueApiKey(store, role, name, 'npm start')).key;
  }
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
