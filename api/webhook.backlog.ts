import { createHash } from 'node:crypto';
import {
  dropInboundBatch,
  findInboundBatch,
  isChunkHandedOver,
  keepInboundBatch,
  markChunkHandedOver,
  pendingInboundBatchIds,
} from '../store/inbound-batches.store';
import { emptySummary, ingestParts, partsOf, type IngestDeps, type IngestSummary } from './webhook.ingest';
import { CloudWebhookBody } from './webhook.schema';

export interface BacklogOptions {
  /** Parts (messages, statuses, …) per chunk handed over after the answer. */
  chunkParts?: number;
  /** How often unfinished batches are looked for (a restart, or a chunk that hit an outage), ms. */
  resumeEveryMs?: number;
  /** Ends the resume timer. */
  shutdown?: AbortSignal;
}

export type AcceptedBatch = IngestSummary & { deferred: number };

/**
 * Webhooks too large to process within Meta's answer budget (median under 250 ms, under 1 % past 1 s:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview) are kept whole in one
 * insert, acknowledged, then handed to their conversations a chunk at a time. Each chunk is the ordinary, idempotent
 * ingest (dead letters included); a chunk marker records it done, and a batch left unfinished by a crash or an
 * outage is resumed by the next look (any API process: a chunk done twice takes effect once).
 */
export function createBacklog(deps: IngestDeps, options: BacklogOptions = {}) {
  const chunkParts = options.chunkParts ?? 500;
  const running = new Set<string>();

  async function handOver(id: string): Promise<void> {
    const batch = await findInboundBatch(deps.store, id);
    if (!batch) return;
    const parts = partsOf(CloudWebhookBody.parse(JSON.parse(batch.body)));
    for (let chunk = 0; chunk * chunkParts < parts.length; chunk += 1) {
      if (await isChunkHandedOver(deps.store, id, chunk)) continue;
      await ingestParts(deps, parts.slice(chunk * chunkParts, (chunk + 1) * chunkParts), batch.receivedAt, emptySummary(), chunk * chunkParts);
      await markChunkHandedOver(deps.store, id, chunk, new Date());
    }
    await dropInboundBatch(deps.store, id);
  }

  /** Hands the batch over unless this process already is; an outage leaves it for the next look. */
  function run(id: string): void {
    if (running.has(id)) return;
    running.add(id);
    handOver(id)
      .catch((err: unknown) => deps.logger.warn({ err, batch: id }, 'inbound batch not fully handed over; resumed later'))
      .finally(() => running.delete(id));
  }

  async function resume(): Promise<void> {
    try {
      for (const id of await pendingInboundBatchIds(deps.store)) run(id);
    } catch (err) {
      deps.logger.warn({ err }, 'could not look for unfinished inbound batches');
    }
  }

  const timer = setInterval(() => void resume(), options.resumeEveryMs ?? 30_000);
  timer.unref();
  options.shutdown?.addEventListener('abort', () => clearInterval(timer));
  void resume();

  return {
    /** Keeps the raw body (one insert) and starts handing it over; resolves once it is durable. */
    async accept(raw: Buffer, parts: number, receivedAt: Date): Promise<AcceptedBatch> {
      const id = createHash('sha256').update(raw).digest('hex');
      await keepInboundBatch(deps.store, { _id: id, body: raw.toString('utf8'), parts, receivedAt });
      run(id);
      return { ...emptySummary(), deferred: parts };
    },
  };
}

export type Backlog = ReturnType<typeof createBacklog>;
