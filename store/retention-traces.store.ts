import type { Store } from './db';
import { escapeRegex } from './regex';

/** A business number's retention cut-off (epoch ms); `number` is one id, or the numbers without their own setting. */
export interface RetentionScope {
  number: string | { $nin: string[] };
  cutoff: number;
}

/** What {@link purgeExpiredTraces} removed, by collection (counts only). */
export interface PurgedTraces {
  /** `calls`: the connector's record of each WhatsApp call, by its last change (`updatedAt`). */
  calls: number;
  /** `call_events`: Meta's `calls` webhooks as kept, by the event's time (`at`). */
  callEvents: number;
  /** `call_permissions`: call permission replies, by when the user replied (`repliedAt`); a permanent Allow stays while in force. */
  callPermissions: number;
  /** `legacy_replies`: the moved number's notice ledger, by when the notice was last sent (`lastSentAt`). */
  legacyReplies: number;
}

/** `legacy_replies` has no number field: its `_id` is `<phone number id>:<customer key>`. */
const ownedBy = (number: string) => ({ _id: { $regex: `^${escapeRegex(number)}:` } });

/**
 * One bounded step over what names customers outside their messages (README "Retention"): per scope, at most
 * `batchSize` expired documents of each kind are found and deleted by `_id` (FerretDB scans on filters; plain range
 * reads and `_id` deletes, no TTL index, the same on MongoDB). `full` is told of each batch found, so the caller
 * knows to run another step. Idempotent.
 */
export async function purgeExpiredTraces(store: Store, scopes: RetentionScope[], batchSize: number, full: (found: unknown[]) => void): Promise<PurgedTraces> {
  const removed: PurgedTraces = { calls: 0, callEvents: 0, callPermissions: 0, legacyReplies: 0 };
  const purge = async (name: string, filter: object): Promise<number> => {
    const collection = store.db.collection<{ _id: string }>(name);
    const found = await collection.find(filter, { projection: { _id: 1 } }).limit(batchSize).toArray();
    full(found);
    if (found.length === 0) return 0;
    return (await collection.deleteMany({ _id: { $in: found.map((d) => d._id) } })).deletedCount;
  };
  const own = scopes.flatMap((s) => (typeof s.number === 'string' ? [s.number] : []));
  for (const { number, cutoff } of scopes) {
    removed.calls += await purge('calls', { businessNumberId: number, updatedAt: { $lt: new Date(cutoff) } });
    removed.callEvents += await purge('call_events', { businessNumberId: number, at: { $lt: cutoff } });
    // A permanent Allow is in force until the user revokes it (a newer reply replaces it): without it the connector
    // would refuse the business's calls to them (call_permission_required). A temporary one has expired (7 days at most).
    removed.callPermissions += await purge('call_permissions', { businessNumberId: number, repliedAt: { $lt: cutoff }, $nor: [{ response: 'accept', isPermanent: true }] });
    const ledger = typeof number === 'string' ? ownedBy(number) : own.length > 0 ? { $nor: own.map(ownedBy) } : {};
    removed.legacyReplies += await purge('legacy_replies', { ...ledger, lastSentAt: { $lt: cutoff } });
  }
  return removed;
}
