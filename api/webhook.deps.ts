import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { TemplateService } from '../services/templates.service';
import type { Store } from '../store/db';
import { publishedConfig } from '../store/machine-config.store';

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
  /**
   * The published configuration version, put on each customer message's signal so its conversation reads its
   * settings only when they changed (`InboundMessage.settingsVersion`); absent: the signal carries none.
   */
  settingsVersion?: () => Promise<number>;
}

/** The published configuration's version, read at most once per `ttlMs` (the settings activity's own staleness). */
export function publishedVersionReader(store: Store, ttlMs = 1_000): () => Promise<number> {
  let cached: { at: number; version: Promise<number> } | undefined;
  return () => {
    if (cached && Date.now() - cached.at < ttlMs) return cached.version;
    const version = publishedConfig(store).then((p) => p.version);
    const entry = { at: Date.now(), version };
    cached = entry;
    // A failed read is not remembered.
    version.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return version;
  };
}
