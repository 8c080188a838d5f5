import { createHash, randomBytes } from 'node:crypto';
import type { Store } from './db';
import { roles } from './documents';
import type { Role, ApiKeyDoc } from './documents';

// Document types live in store/documents.ts (so store/db.ts imports no store file); kept importable from here.
export { roles, type Role, type ApiKeyDoc };

export interface IssuedKey {
  keyId: string;
  role: Role;
  name: string;
  agentId?: string;
  /** The secret; only ever returned here. */
  key: string;
}

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Issues a key: 32 random bytes, so a plain sha256 is enough to store it (no password stretching needed for
 * high-entropy secrets), and the hash is the `_id` the hot lookup reads.
 */
export async function issueApiKey(store: Store, role: Role, name: string, createdBy: string, agentId?: string): Promise<IssuedKey> {
  // An agent key without a registered agent would be an identity anyone could claim by naming a key.
  if ((role === 'agent') !== (agentId !== undefined)) throw new Error('agent keys, and only they, are issued to a registered agent');
  const key = `wak_${randomBytes(32).toString('base64url')}`;
  const _id = hashOf(key);
  const keyId = _id.slice(0, 16);
  await store.apiKeys.insertOne({ _id, keyId, role, name, ...(agentId ? { agentId } : {}), createdAt: new Date(), createdBy });
  return { keyId, role, name, ...(agentId ? { agentId } : {}), key };
}

/** The hash a key is stored under: what a long-lived response keeps to re-check its key without keeping the secret. */
export const keyHashOf = hashOf;

/** The live key by its stored hash (see {@link keyHashOf}), or null when revoked or gone. */
export async function findApiKeyByHash(store: Store, hash: string): Promise<ApiKeyDoc | null> {
  const doc = await store.apiKeys.findOne({ _id: hash });
  return doc && !doc.revokedAt ? doc : null;
}

/** The live key for a presented secret, or null when unknown or revoked. */
export async function findApiKey(store: Store, key: string): Promise<ApiKeyDoc | null> {
  const doc = await store.apiKeys.findOne({ _id: hashOf(key) });
  return doc && !doc.revokedAt ? doc : null;
}

export async function listApiKeys(store: Store): Promise<ApiKeyDoc[]> {
  return store.apiKeys.find({}).sort({ createdAt: 1 }).toArray();
}

/** Revokes by public id; true when a live key was revoked. Revoking twice is harmless. */
export async function revokeApiKey(store: Store, keyId: string): Promise<boolean> {
  const result = await store.apiKeys.updateOne({ keyId, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
  return result.modifiedCount === 1;
}

export async function countLiveKeys(store: Store, role: Role): Promise<number> {
  return store.apiKeys.countDocuments({ role, revokedAt: { $exists: false } });
}
