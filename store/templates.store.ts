import type { Store } from './db';
import type { TemplateDoc } from './documents';

/** The templates an agent may send on this number, in the customer's language first, then all others. */
export async function listApprovedTemplates(
  store: Store,
  businessNumberId: string,
  language?: string,
): Promise<TemplateDoc[]> {
  const approved = await store.templates.find({ businessNumberId, status: 'APPROVED' }).sort({ name: 1 }).toArray();
  if (!language) return approved;
  const base = language.split(/[-_]/)[0];
  const rank = (t: TemplateDoc) => (t.language === language ? 0 : t.language.split(/[-_]/)[0] === base ? 1 : 2);
  return approved.sort((a, b) => rank(a) - rank(b));
}

export async function findTemplate(
  store: Store,
  businessNumberId: string,
  name: string,
  language: string,
): Promise<TemplateDoc | null> {
  return store.templates.findOne({ businessNumberId, name, language });
}

/** The languages a number holds a template name in (any status), sorted. */
export async function templateLanguages(store: Store, businessNumberId: string, name: string): Promise<string[]> {
  return (await store.templates.find({ businessNumberId, name }, { projection: { language: 1 } }).toArray()).map((t) => t.language).sort();
}

export async function upsertTemplate(store: Store, template: Omit<TemplateDoc, '_id'>): Promise<void> {
  const _id = `${template.businessNumberId}:${template.name}:${template.language}`;
  await store.templates.replaceOne({ _id }, template, { upsert: true });
}

export const templateKey = (businessNumberId: string, name: string, language: string) => `${businessNumberId}:${name}:${language}`;

export async function findTemplateByKey(store: Store, key: string): Promise<TemplateDoc | null> {
  return store.templates.findOne({ _id: key });
}

/** False when a template with this name and language exists on the number. */
export async function insertTemplate(store: Store, doc: TemplateDoc): Promise<boolean> {
  const result = await store.templates.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
  return result.upsertedCount === 1;
}

export interface TemplateFilter {
  businessNumberId?: string;
  status?: TemplateDoc['status'];
  language?: string;
}

export async function listTemplates(store: Store, filter: TemplateFilter): Promise<TemplateDoc[]> {
  const query: Record<string, string> = {};
  if (filter.businessNumberId) query.businessNumberId = filter.businessNumberId;
  if (filter.status) query.status = filter.status;
  if (filter.language) query.language = filter.language;
  return store.templates.find(query).sort({ businessNumberId: 1, name: 1, language: 1 }).limit(1_000).toArray();
}

/** Every template submitted to WhatsApp (it has WhatsApp's id and account), unbounded: the sync judges them all. */
export async function listSubmittedTemplates(store: Store): Promise<TemplateDoc[]> {
  return store.templates.find({ brokerTemplateId: { $exists: true }, wabaId: { $exists: true } }).toArray();
}

type HistoryEntry = NonNullable<TemplateDoc['history']>[number];

/** Records a change (status, category, definition) with its history entry; matched by our key. */
export async function updateTemplate(
  store: Store,
  key: string,
  change: Partial<Pick<TemplateDoc, 'status' | 'category' | 'definition' | 'body' | 'rejectedReason'>>,
  entry: Omit<HistoryEntry, 'at'>,
): Promise<boolean> {
  const at = new Date();
  const result = await store.templates.updateOne({ _id: key }, { $set: { ...change, updatedAt: at }, $push: { history: { ...entry, at } } });
  return result.matchedCount === 1;
}

/**
 * Marks a template DELETED (WhatsApp no longer holds it) unless it changed meanwhile: only while it still carries
 * this WhatsApp id and is not DELETED already, so a template created again since (a new id) is left alone. True
 * when it was marked.
 */
export async function markTemplateDeleted(store: Store, key: string, brokerTemplateId: string, entry: Omit<HistoryEntry, 'at' | 'status'>): Promise<boolean> {
  const at = new Date();
  const result = await store.templates.updateOne(
    { _id: key, brokerTemplateId, status: { $ne: 'DELETED' } },
    { $set: { status: 'DELETED', updatedAt: at }, $push: { history: { ...entry, status: 'DELETED', at } } },
  );
  return result.modifiedCount === 1;
}

/**
 * A DELETED template submitted to WhatsApp anew: takes the new definition, WhatsApp's new id and status, keeping its
 * history. False when it is not DELETED (any more): someone else created it again first.
 */
export async function recreateDeletedTemplate(store: Store, doc: TemplateDoc): Promise<boolean> {
  const { _id, history, ...fields } = doc;
  const result = await store.templates.updateOne(
    { _id, status: 'DELETED' },
    { $set: fields, $unset: { rejectedReason: '', quality: '' }, $push: { history: { $each: history ?? [] } } },
  );
  return result.modifiedCount === 1;
}

/** Templates WhatsApp knows by its id (status and category webhooks carry only that, name and language). */
export async function findTemplatesByBrokerId(store: Store, brokerTemplateId: string): Promise<TemplateDoc[]> {
  return store.templates.find({ brokerTemplateId }).toArray();
}

/** Every template's review status (the metrics' gauge). */
export async function templateStatuses(store: Store): Promise<TemplateDoc['status'][]> {
  return (await store.templates.find({}, { projection: { status: 1 } }).toArray()).map((t) => t.status);
}
