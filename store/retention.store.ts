import type { Store } from './db';
import { deleteMessages } from './message-deletion';
import { listNumbers } from './numbers.store';
import { purgeOldRecipients } from './campaigns.store';
import { purgeExpiredTraces, type PurgedTraces } from './retention-traces.store';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What one purge step removed, by kind (counts only), and whether anything expired is left for the next step. */
export interface PurgeStep extends PurgedTraces {
  messages: number;
  deliveryStatuses: number;
  media: number;
  conversations: number;
  deadLetters: number;
  webhookBatches: number;
  campaignRecipients: number;
  /** `campaign_persons`: the once-per-person marks of campaigns whose recipients went. */
  campaignPersons: number;
  more: boolean;
}

export interface PurgeOptions {
  now: Date;
  /** RETENTION_DAYS: for numbers without their own setting, and for what belongs to no number. */
  defaultDays: number;
  /** Most documents of each kind one step deletes (FerretDB scans on these filters; batches keep each step short). */
  batchSize: number;
}

/**
 * One step of the retention purge: per business number (its own `retention.days`, else the default), the messages
 * whose thread time (`sortAt`) is older than the cut-off, with their statuses, reactions and media
 * (store/message-deletion.ts), and closed conversations' projections last changed before it; by the default, dead
 * letters, webhook batches and the recipients of campaigns last changed before it with their once-per-person marks; calls,
 * Meta's call webhooks, call permission replies and the legacy-number ledger per number (store/retention-traces.store.ts). Plain range deletes, no TTL index
 * (FerretDB has none): the same on MongoDB and FerretDB. Idempotent; call again while `more`.
 */
export async function purgeExpiredStep(store: Store, { now, defaultDays, batchSize }: PurgeOptions): Promise<PurgeStep> {
  const cutoff = (days: number) => now.getTime() - days * DAY_MS;
  const own = (await listNumbers(store)).flatMap((n) => (n.retention ? [{ id: n._id, cutoff: cutoff(n.retention.days) }] : []));
  const scopes = [
    ...own.map((n) => ({ number: n.id as string | { $nin: string[] }, cutoff: n.cutoff })),
    { number: { $nin: own.map((n) => n.id) }, cutoff: cutoff(defaultDays) },
  ];
  let more = false;
  const full = (found: unknown[]) => (more ||= found.length >= batchSize);
  const deleted = { messages: 0, deliveryStatuses: 0, media: 0 };
  let conversations = 0;
  for (const scope of scopes) {
    const expired = await store.messages.find({ businessNumberId: scope.number, sortAt: { $lt: scope.cutoff } } as never).limit(batchSize).toArray();
    full(expired);
    const step = await deleteMessages(store, expired);
    deleted.messages += step.messages;
    deleted.deliveryStatuses += step.deliveryStatuses;
    deleted.media += step.media;
    const closed = await store.conversations
      .find({ businessNumberId: scope.number, state: 'closed', updatedAt: { $lt: new Date(scope.cutoff) } } as never, { projection: { _id: 1 } })
      .limit(batchSize)
      .toArray();
    full(closed);
    conversations += (await store.conversations.deleteMany({ _id: { $in: closed.map((c) => c._id) } })).deletedCount;
  }
  const traces = await purgeExpiredTraces(store, scopes, batchSize, full);
  const before = new Date(cutoff(defaultDays));
  const letters = await store.deadLetters.find({ receivedAt: { $lt: before } }, { projection: { _id: 1 } }).limit(batchSize).toArray();
  full(letters);
  const deadLetters = (await store.deadLetters.deleteMany({ _id: { $in: letters.map((l) => l._id) } })).deletedCount;
  const batches = await store.inboundBatches.find({ receivedAt: { $lt: before } }, { projection: { _id: 1 } }).limit(batchSize).toArray();
  full(batches);
  const webhookBatches = (await store.inboundBatches.deleteMany({ _id: { $in: batches.map((b) => b._id) } })).deletedCount;
  await store.inboundBatchChunks.deleteMany({ at: { $lt: before } });
  const old = await purgeOldRecipients(store, before, batchSize, now);
  if (old.campaigns >= batchSize) more = true;
  return { ...deleted, ...traces, conversations, deadLetters, webhookBatches, campaignRecipients: old.recipients, campaignPersons: old.persons, more };
}
