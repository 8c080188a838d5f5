import type { Logger } from 'pino';
import type { TemplateService } from './templates.service';

/**
 * Asks the broker for every template's status now and then, in case a status webhook was lost (Meta gives up on
 * a webhook after days of failures). Idempotent: several API processes syncing at once change nothing twice.
 */
export function startTemplateSync(templates: Pick<TemplateService, 'sync'>, intervalMs: number, logger: Logger): () => void {
  if (intervalMs <= 0) return () => undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    templates
      .sync()
      .then((result) => logger[result.changed > 0 ? 'info' : 'debug'](result, 'template sync'))
      .catch((err: unknown) => logger.warn({ err }, 'template sync failed; next round will retry'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
