import type { Logger } from 'pino';
import type { Store } from '../store/db';
import type { TemplateDoc } from '../store/documents';
import { markTemplateDeleted } from '../store/templates.store';
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
