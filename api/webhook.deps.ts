import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { TemplateService } from '../services/templates.service';
import type { Store } from '../store/db';

/** What processing a webhook needs: the store, Temporal and the template service (for template events). */
export interface IngestDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
  idleCloseAfterMs: number;
  logger: Logger;
  /** Applies template status and category changes WhatsApp reports. */
  templates: Pick<TemplateService, 'applyStatusEvent' | 'applyCategoryEvent' | 'applyQualityEvent'>;
  /** How long one hand-over to Temporal may take before the webhook gives up with 503 (the broker retries). */
  temporalDeadlineMs?: number;
}
