import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ErasureClock } from '../services/erasure-clock';
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
  /** Whether a status or a redelivered message is of a person erased since (the same one the erasure service moves). */
  erasureClock: Pick<ErasureClock, 'isStatusErased' | 'isRedeliveryErased'>;
}

/** What reads the published version for the webhook: `forget()` drops the cached answer (after a publish here). */
export type PublishedVersionReader = (() => Promise<number>) & { forget(): void };

/**
 * The published configuration's version, read at most once per `ttlMs` (the settings activity's own staleness).
 * A publish or rollback through this process calls `forget()`, so the next message carries the new version and the
 * conversation reads its settings again: a stale stamp would let the workflow reuse the old ones.
 */
export function publishedVersionReader(store: Store, ttlMs = 1_000): PublishedVersionReader {
  let cached: { at: number; version: Promise<number> } | undefined;
  const read = () => {
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
  return Object.assign(read, {
    forget: () => {
      cached = undefined;
    },
  });
}
