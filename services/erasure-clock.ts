/**
 * When to check an event against the erasure tombstones (store/erasure-tombstones.store.ts), and how long an erasure
 * waits before deleting so every process checks by then: the timing policy and its per-process memory, made once per
 * process (api/app.ts) and passed to the webhook ingest and the erasure service. README "Events arriving after an
 * erasure".
 */
import type { Store } from '../store/db';
import { isMessageErased, latestErasureAt, recordTombstones } from '../store/erasure-tombstones.store';

/**
 * How often a process reads when anyone last erased someone (`erasure_clock`, one document), and how long after an
 * erasure statuses are still checked against the tombstones. A status webhook is most of a number's webhook traffic:
 * reading a tombstone for each took the ingest's store commands from 1.1 to 1.8 per webhook and its ack p99 at 400/s
 * from 70–89 ms to 167–239 ms (`npm run bench:ingest -- --rates 200,400 --seconds 10`, 2026-12-01, three runs each).
 * With no erasure in the last {@link STATUS_CHECK_DAYS} days, a status reads nothing more; a status of an erased
 * person's message that comes later than that (a read receipt a month on) is stored (README, "Events arriving after
 * an erasure").
 */
export const ERASURE_CLOCK_REFRESH_MS = 2_000;
export const STATUS_CHECK_DAYS = 30;

/**
 * How late (ms after Meta's `timestamp`) an inbound message must arrive before it is checked against the erased
 * marks. A fresh message (nearly every one) costs nothing; a redelivery comes later, as Meta retries
 * (up to 7 days, https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview).
 */
export const REDELIVERY_CHECK_AFTER_MS = 60_000;

/** One process's view of the erasures: what the ingest asks before storing, what the erasure does before deleting. */
export interface ErasureClock {
  /**
   * Whether a delivery status (its wamid) is of a message of a person erased since: read by `_id` only while anyone
   * erased someone in the last {@link STATUS_CHECK_DAYS} days (the clock read at most every 2 s), otherwise no read.
   */
  isStatusErased(wamid: string, now?: number): Promise<boolean>;
  /**
   * Whether an inbound message or an echo (wamid, Meta's `timestamp` in epoch ms) is the redelivery of an erased one: read only
   * when it arrives over {@link REDELIVERY_CHECK_AFTER_MS} after it was written, or this process erased someone since.
   */
  isRedeliveryErased(wamid: string, sentAtMs: number, receivedAt: Date): Promise<boolean>;
  /**
   * Records the tombstones (wacids and SIP Call-IDs, wamids), then waits until every API process has read the clock
   * they moved (one refresh and a margin), so an event arriving after the erasure's deletes is checked everywhere; one
   * arriving before them is stored and then deleted with the rest of the person's data.
   */
  recordBeforeDeleting(ids: { callIds: string[]; wamids: string[] }, erasedAt: Date): Promise<void>;
}

/** The clock of one process; `refreshMs` is how often it reads the shared `erasure_clock`. */
export function createErasureClock(store: Store, refreshMs = ERASURE_CLOCK_REFRESH_MS): ErasureClock {
  /** When this process last erased someone (epoch ms; 0: never): a redelivery right after it is checked too. */
  let lastErasureAt = 0;
  /** The latest erasure any process recorded, as this process last read it (epoch ms), and when it read it. */
  let sharedErasureAt = 0;
  let clockReadAt = Number.NEGATIVE_INFINITY;

  async function erasedRecently(now: number): Promise<boolean> {
    if (now - clockReadAt >= refreshMs) {
      clockReadAt = now;
      sharedErasureAt = await latestErasureAt(store);
    }
    return Math.max(sharedErasureAt, lastErasureAt) > now - STATUS_CHECK_DAYS * 86_400_000;
  }

  return {
    isStatusErased: async (wamid, now = Date.now()) => (await erasedRecently(now)) && isMessageErased(store, wamid),
    isRedeliveryErased: async (wamid, sentAtMs, receivedAt) =>
      (receivedAt.getTime() - sentAtMs > REDELIVERY_CHECK_AFTER_MS || lastErasureAt >= sentAtMs) && isMessageErased(store, wamid),
    async recordBeforeDeleting(ids, erasedAt) {
      lastErasureAt = Math.max(lastErasureAt, erasedAt.getTime());
      await recordTombstones(store, ids, erasedAt);
      await new Promise((resolve) => setTimeout(resolve, refreshMs + 500));
    },
  };
}
