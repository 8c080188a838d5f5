import { randomUUID } from 'node:crypto';
import diff from 'microdiff';
import { defaultMachineConfig, MachineConfig } from '../lib/machine-config';
import { isDuplicateKey, type Store } from './db';
import type { ConfigVersionDoc, ConfigDraftDoc, ConfigAuditDoc } from './documents';

// Document types live in store/documents.ts (so store/db.ts imports no store file); kept importable from here.
export { type ConfigVersionDoc, type ConfigDraftDoc, type ConfigAuditDoc };

export interface PublishedConfig {
  /** 0: nothing published yet, the defaults apply. */
  version: number;
  config: MachineConfig;
}

export class ConfigConflictError extends Error {}

export async function publishedConfig(store: Store): Promise<PublishedConfig> {
  const [latest] = await store.configVersions.find({}).sort({ _id: -1 }).limit(1).toArray();
  return latest ? { version: latest._id, config: withNewDefaults(latest.config) } : { version: 0, config: defaultMachineConfig };
}

/** A version published before a field existed gets that field's default (the schema's defaults fill it in). */
function withNewDefaults(config: MachineConfig): MachineConfig {
  const parsed = MachineConfig.safeParse(config);
  return parsed.success ? parsed.data : config;
}

export async function configVersion(store: Store, version: number): Promise<ConfigVersionDoc | null> {
  return store.configVersions.findOne({ _id: version });
}

export async function listConfigVersions(store: Store): Promise<Omit<ConfigVersionDoc, 'config'>[]> {
  return store.configVersions.find({}, { projection: { config: 0 } }).sort({ _id: -1 }).toArray();
}

export async function readDraft(store: Store): Promise<ConfigDraftDoc | null> {
  return store.configDrafts.findOne({ _id: 'draft' });
}

export async function saveDraft(store: Store, draft: Record<string, unknown>, by: string): Promise<void> {
  const before = (await readDraft(store))?.draft ?? (await publishedConfig(store)).config;
  await store.configDrafts.replaceOne({ _id: 'draft' }, { draft, updatedAt: new Date(), updatedBy: by }, { upsert: true });
  await audit(store, { by, action: 'draft.saved', changes: changesBetween(before, draft) });
}

/**
 * Publishes `config` (already validated) as the next version. Two supervisors publishing at once cannot both take
 * the same number: the version is the `_id`, and the loser gets a conflict to retry after a fresh look.
 */
export async function publish(store: Store, config: MachineConfig, by: string, options: { note?: string; rolledBackTo?: number } = {}): Promise<PublishedConfig> {
  const current = await publishedConfig(store);
  const version = current.version + 1;
  try {
    await store.configVersions.insertOne({
      _id: version,
      config,
      publishedAt: new Date(),
      publishedBy: by,
      ...(options.note ? { note: options.note } : {}),
      ...(options.rolledBackTo !== undefined ? { rolledBackTo: options.rolledBackTo } : {}),
    });
  } catch (err) {
    if (isDuplicateKey(err)) throw new ConfigConflictError(`version ${version} was published by someone else meanwhile`);
    throw err;
  }
  await audit(store, {
    by,
    action: options.rolledBackTo === undefined ? 'published' : 'rolledBack',
    version,
    changes: changesBetween(current.config, config),
  });
  return { version, config };
}

export async function listAudit(store: Store, limit: number): Promise<ConfigAuditDoc[]> {
  return store.configAudit.find({}).sort({ at: -1 }).limit(limit).toArray();
}

async function audit(store: Store, entry: Omit<ConfigAuditDoc, '_id' | 'at'>): Promise<void> {
  await store.configAudit.insertOne({ _id: randomUUID(), at: new Date(), ...entry });
}

/** Path-by-path differences, e.g. `autoReplies.welcome: undefined → "Hi"`. */
export function changesBetween(before: object, after: object): ConfigAuditDoc['changes'] {
  return diff(before as Record<string, unknown>, after as Record<string, unknown>).map((d) => ({
    path: d.path.join('.'),
    ...(d.type !== 'CREATE' ? { from: d.oldValue } : {}),
    ...(d.type !== 'REMOVE' ? { to: d.value } : {}),
  }));
}
