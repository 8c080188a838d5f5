/**
 * Meta's `calls` webhooks as received, one document per call and event: `_id` `<Meta's call id>:<event>`, so a
 * redelivered webhook inserts nothing (FerretDB-safe: exactness from the unique `_id`, no transaction). Read beside
 * the `calls` collection (what the SIP side saw) when a conversation's thread or timeline shows its calls.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/
 */
import type { Collection } from 'mongodb';
import { isDuplicateKey, type Store } from './db';

export interface CallEventDoc {
  /** `<wacid>:<event>`. */
  _id: string;
  /** Meta's call id (`wacid.…`). */
  wacid: string;
  /** `connect`, `terminate`, `status` (a business-initiated call's RINGING, ACCEPTED, REJECTED in `status`; `_id`
   * `<wacid>:status:<STATUS>`); any other event Meta adds is kept as named. */
  event: string;
  direction?: 'USER_INITIATED' | 'BUSINESS_INITIATED' | string;
  businessNumberId: string;
  /** The WhatsApp user's wa_id (`from` of a user's call, `to` of the business's). */
  customer: string;
  conversationId: string;
  /** The event's timestamp, epoch ms. */
  at: number;
  /** terminate: Meta's status, upper-cased (COMPLETED, FAILED); status: the call's status (RINGING, ACCEPTED, REJECTED). */
  status?: string;
  /** terminate: when the connected call started and ended (epoch ms), and its duration in seconds, as Meta counts. */
  startTime?: number;
  endTime?: number;
  durationSeconds?: number;
  receivedAt: Date;
  /** A user's `connect`: when it was handed to the caller's conversation (it opens their window), so a later redelivery is not. */
  handedOverAt?: Date;
}

/**
 * The statuses of a business-initiated call Meta lists ("RINGING, ACCEPTED, or REJECTED",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls/).
 * Another one (a `BUSY`) is not stored: the webhook keeps it as a dead letter (`status_unreadable`), as it does an
 * unknown message status.
 */
export const CALL_STATUSES = ['RINGING', 'ACCEPTED', 'REJECTED'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
export const isCallStatus = (value: string): value is CallStatus => (CALL_STATUSES as readonly string[]).includes(value);

const events = (store: Store): Collection<CallEventDoc> => store.db.collection<CallEventDoc>('call_events');

/** Keeps one event; `duplicate` when this call's event was stored before (a redelivery), which changes nothing. */
export async function recordCallEvent(store: Store, doc: CallEventDoc): Promise<'new' | 'duplicate'> {
  try {
    await events(store).insertOne(doc);
    return 'new';
  } catch (err) {
    if (isDuplicateKey(err)) return 'duplicate';
    throw err;
  }
}

/** Removes one event (one stored as its call's caller was being erased). */
export async function forgetCallEvent(store: Store, id: string): Promise<void> {
  await events(store).deleteOne({ _id: id });
}

/**
 * Whether a user's call was handed to their conversation already. A redelivered `connect` is signalled again only
 * when it was not (the first hand-over failed): else a conversation closed since would start over from it.
 */
export async function wasHandedOver(store: Store, id: string): Promise<boolean> {
  return (await events(store).findOne({ _id: id, handedOverAt: { $exists: true } }, { projection: { _id: 1 } })) !== null;
}

/** Records that the call reached its conversation (after the signal: a failure in between only signals once more). */
export async function markHandedOver(store: Store, id: string, at: Date): Promise<void> {
  await events(store).updateOne({ _id: id }, { $set: { handedOverAt: at } });
}

/** A conversation's call events, oldest first. */
export async function listCallEvents(store: Store, conversationId: string): Promise<CallEventDoc[]> {
  return events(store).find({ conversationId }).sort({ at: 1 }).limit(1_000).toArray();
}
