/**
 * A template send WhatsApp refused with 132001. Meta's error codes
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes) say of it: "The
 * template does not exist in the specified language or the template has not been approved", and to make sure "your
 * template has been approved and the template name and language locale are correct". So the code alone does not say
 * that the template was deleted: its translation in that language may be missing, or WhatsApp may hold it in a status
 * other than APPROVED (back in review after an edit in WhatsApp Manager, rejected, in appeal) whose webhook was lost.
 * Which it is, is asked of WhatsApp's template list, by the sync's own rule (services/template-sync.ts): listed, our
 * copy (this name and language only) takes the status WhatsApp lists; not listed, it is DELETED and may be created
 * again. Our other languages of the same name are left alone: WhatsApp holds each language as its own template.
 */
import { isTemplateStatus, type TemplateApiClient, type TemplateStatus } from '../integrations/broker/template-api.client';
import type { Store } from '../store/db';
import { findTemplateByKey, markTemplateDeleted, updateTemplate } from '../store/templates.store';

/**
 * What our copy of the refused template (`key`: number, name, language) became: the status WhatsApp lists for it,
 * `DELETED` when it lists it no more, or `unchanged` (never submitted to WhatsApp, already so, or listed APPROVED:
 * WhatsApp contradicting itself, so the next send asks again). Throws as the template list does (WhatsApp
 * unreachable): our copy is then unchanged, and the next refusal or the periodic sync asks again.
 */
export async function recheckRefusedTemplate(store: Store, templates: Pick<TemplateApiClient, 'list'>, key: string): Promise<TemplateStatus | 'unchanged'> {
  const doc = await findTemplateByKey(store, key);
  if (!doc?.brokerTemplateId || !doc.wabaId || doc.status === 'DELETED') return 'unchanged';
  const listed = (await templates.list(doc.wabaId)).find((t) => t.id === doc.brokerTemplateId);
  const reason = 'send refused with 132001 (not in that language, or not approved)';
  if (!listed) {
    return (await markTemplateDeleted(store, key, doc.brokerTemplateId, { source: 'sync', reason: `${reason}; not in WhatsApp's template list` })) ? 'DELETED' : 'unchanged';
  }
  const status = listed.status;
  if (!isTemplateStatus(status) || status === doc.status) return 'unchanged';
  await updateTemplate(store, key, { status }, { status, source: 'sync', reason: `${reason}; WhatsApp's template list says ${status}` });
  return status;
}
