/**
 * The order of a conversation's thread. WhatsApp stamps an inbound message with the second it was written only (the
 * messages webhook's `timestamp`, Unix seconds:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/),
 * so messages written within one second, the customer's and ours, cannot be told apart by that time. The thread is
 * ordered by the second each was written, then by when the connector received (inbound) or stored (outbound) it:
 * the order in which they reached WhatsApp's side of the conversation as far as the connector can know.
 */

/** What the ordering reads off a stored message. */
export interface ThreadOrdered {
  _id: string;
  /** Epoch ms it was written (whole seconds for inbound). */
  sortAt: number;
  /** Receipt order in µs (see receiptSeq, storedSeq); absent on messages stored before it existed. */
  seq?: number;
  /** When it was received (inbound) or accepted (outbound): the receipt order of messages without `seq`. */
  createdAt: Date;
}

/** Most messages of one webhook body told apart within its millisecond; later ones run into the next. */
const perMillisecond = 1000;

/**
 * The `seq` of the `position`th message (0-based, in payload order) of a webhook body received at `receivedAt`:
 * µs since the epoch, so it compares with storedSeq's.
 */
export function receiptSeq(receivedAt: Date, position: number): number {
  return receivedAt.getTime() * perMillisecond + position;
}

let lastStored = 0;

/** The `seq` of an outbound message stored now: µs since the epoch, strictly increasing within this process. */
export function storedSeq(now = Date.now()): number {
  lastStored = Math.max(now * perMillisecond, lastStored + 1);
  return lastStored;
}

const secondOf = (m: ThreadOrdered) => Math.floor(m.sortAt / 1000);
const seqOf = (m: ThreadOrdered) => m.seq ?? new Date(m.createdAt).getTime() * perMillisecond;

/** Array.sort comparator: the second written, then receipt order, then `_id` (only to be deterministic). */
export function threadOrder(a: ThreadOrdered, b: ThreadOrdered): number {
  return secondOf(a) - secondOf(b) || seqOf(a) - seqOf(b) || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);
}

/** The epoch-ms window of the second `sortAt` falls in: [from, to). */
export function secondWindow(sortAt: number): { from: number; to: number } {
  const from = Math.floor(sortAt / 1000) * 1000;
  return { from, to: from + 1000 };
}
