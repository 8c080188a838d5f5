/**
 * Call permission replies, one document per business number and WhatsApp user (`<phone number id>:<wa_id>`): the
 * newest reply wins, whatever order webhooks arrive in (FerretDB-safe: a conditional update, else an insert whose
 * duplicate key means a newer reply is already kept).
 */
import type { Collection } from 'mongodb';
import type { CallPermissionReply, PastBusinessCall } from '../lib/call-permission';
import type { Store } from './db';
import type { CallDoc } from './calls.store';

export interface CallPermissionDoc extends CallPermissionReply {
  _id: string;
  businessNumberId: string;
  customerNumber: string;
  updatedAt: Date;
}

const permissions = (store: Store): Collection<CallPermissionDoc> => store.db.collection<CallPermissionDoc>('call_permissions');
export const callPermissionId = (businessNumberId: string, customerNumber: string) => `${businessNumberId}:${customerNumber}`;

/** Keeps the reply unless a newer one of the same pair is already kept. Idempotent. */
export async function recordCallPermissionReply(store: Store, businessNumberId: string, customerNumber: string, reply: CallPermissionReply, at: Date): Promise<void> {
  const _id = callPermissionId(businessNumberId, customerNumber);
  const doc: CallPermissionDoc = { _id, businessNumberId, customerNumber, ...reply, updatedAt: at };
  const updated = await permissions(store).replaceOne({ _id, repliedAt: { $lte: reply.repliedAt } }, doc);
  if (updated.matchedCount > 0) return;
  try {
    await permissions(store).insertOne(doc);
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err; // a newer reply is kept
  }
}

export async function findCallPermission(store: Store, businessNumberId: string, customerNumber: string): Promise<CallPermissionDoc | null> {
  return permissions(store).findOne({ _id: callPermissionId(businessNumberId, customerNumber) });
}

/**
 * The business number's calls to this WhatsApp user (wa_id) in the last 8 days (enough for every limit), newest
 * first. By number and user, as Meta counts them, not by conversation id: calls filed under an id built from the
 * number before the registry's key was used for calls still count.
 */
export async function recentBusinessCalls(store: Store, businessNumberId: string, customerNumber: string, now: number): Promise<PastBusinessCall[]> {
  const docs = await store.db
    .collection<CallDoc>('calls')
    .find({ businessNumberId, customerNumber, direction: 'business_initiated', offeredAt: { $gte: now - 8 * 86_400_000 } })
    .sort({ offeredAt: -1 })
    .limit(1_000)
    .toArray();
  return docs.map((d) => ({ offeredAt: d.offeredAt, phase: d.phase, ...(d.answeredAt !== undefined ? { answeredAt: d.answeredAt } : {}) }));
}
