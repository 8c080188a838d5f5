import type { Logger } from 'pino';
import type { Store } from '../store/db';
import type { TemplateDoc } from '../store/documents';
import { insertTemplate, markTemplateDeleted, templateKey } from '../store/templates.store';
import { isTemplateCategory, isTemplateStatus, type BrokerTemplate } from '../integrations/broker/template-api.client';
import type { TemplateService } from './templates.service';

/**
 * Asks the broker for every template's status at start-up and then every `intervalMs` (0: never), in case a status
 * webhook was lost (Meta gives up on a webhook after days of failures) or a template was deleted at WhatsApp while
 * we were stopped. Idempotent: several API processes syncing at once change nothing twice. Answers a stop function.
 */
export function startTemplateSync(templates: Pick<TemplateService, 'sync'>, intervalMs: number, logger: Logger): () => void {
  if (intervalMs <= 0) return () => undefined;
  let running = false;
  const round = () => {
    if (running) return;
    running = true;
    templates
      .sync()
      .then((result) => logger[result.changed > 0 ? 'info' : 'debug'](result, 'template sync'))
      .catch((err: unknown) => logger.warn({ err }, 'template sync failed; next round will retry'))
      .finally(() => {
        running = false;
      });
  };
  round();
  const timer = setInterval(round, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * What Meta's template list (GET /<WABA_ID>/message_templates, every page: "Get templates",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management) no longer
 * holds is gone at WhatsApp: deleted in WhatsApp Manager with its webhook lost, or a broker that forgot it. Marks
 * those of `held` (our templates of that account, read BEFORE the list was asked for, so one created meanwhile is not
 * taken for gone) DELETED; answers how many. Templates never submitted (no WhatsApp id) are not Meta's to judge.
 */
export async function markMissingDeleted(store: Store, held: TemplateDoc[], listed: ReadonlySet<string>): Promise<number> {
  let deleted = 0;
  for (const doc of held) {
    if (!doc.brokerTemplateId || doc.status === 'DELETED' || listed.has(doc.brokerTemplateId)) continue;
    const reason = "no longer in WhatsApp's template list";
    if (await markTemplateDeleted(store, doc._id, doc.brokerTemplateId, { source: 'sync', reason })) deleted += 1;
  }
  return deleted;
}

/**
 * Templates WhatsApp lists for an account that nobody made here (made in WhatsApp Manager, or by another tool) are
 * taken in for each of the account's registered `numbers`, with WhatsApp's id, status, category and body text, so
 * they can be sent and their webhooks apply (chatwoot#13805: such a template failed until someone synced by hand).
 * They carry no `definition`: their parameters are checked by WhatsApp alone (132000), as for templates recorded
 * before supervisors managed them here. `known`: every WhatsApp id a template here already has. Never overwrites a
 * template of the same name and language on a number (insert only). Answers how many were taken in.
 */
export async function importListed(store: Store, wabaId: string, numbers: readonly string[], listed: readonly BrokerTemplate[], known: ReadonlySet<string>, at = new Date()): Promise<number> {
  let imported = 0;
  for (const remote of listed) {
    if (known.has(remote.id) || !isTemplateStatus(remote.status) || !isTemplateCategory(remote.category)) continue;
    for (const businessNumberId of numbers) {
      const doc: TemplateDoc = {
        _id: templateKey(businessNumberId, remote.name, remote.language),
        businessNumberId,
        name: remote.name,
        language: remote.language,
        category: remote.category,
        status: remote.status,
        body: remote.body ?? '',
        updatedAt: at,
        brokerTemplateId: remote.id,
        wabaId,
        ...(remote.rejectedReason ? { rejectedReason: remote.rejectedReason } : {}),
        history: [{ status: remote.status, category: remote.category, at, source: 'sync', reason: "made outside this connector: taken from WhatsApp's template list" }],
      };
      if (await insertTemplate(store, doc)) imported += 1;
    }
  }
  return imported;
}
