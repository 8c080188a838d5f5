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

export async function upsertTemplate(store: Store, template: Omit<TemplateDoc, '_id'>): Promise<void> {
  const _id = `${template.businessNumberId}:${template.name}:${template.language}`;
  await store.templates.replaceOne({ _id }, template, { upsert: true });
}
