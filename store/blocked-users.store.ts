import type { Store } from './db';

/**
 * A person the business blocked on one of its numbers through Meta's Block Users API: WhatsApp delivers nothing from
 * them and refuses sends to them (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/).
 * `_id` `<phoneNumberId>:<customer key>`: one write per person per number, so concurrent blocks cannot duplicate.
 */
export interface BlockedUserDoc {
  _id: string;
  businessNumberId: string;
  customerKey: string;
  /** What WhatsApp was told (the phone number or WhatsApp id) and the WhatsApp id it answered. */
  user: string;
  waId?: string;
  blockedAt: Date;
  blockedBy: string;
}

const blocked = (store: Store) => store.db.collection<BlockedUserDoc>('blocked_users');
const idOf = (businessNumberId: string, customerKey: string) => `${businessNumberId}:${customerKey}`;

export async function recordBlocked(store: Store, doc: Omit<BlockedUserDoc, '_id'>): Promise<void> {
  const _id = idOf(doc.businessNumberId, doc.customerKey);
  await blocked(store).replaceOne({ _id }, doc, { upsert: true });
}

export async function recordUnblocked(store: Store, businessNumberId: string, customerKey: string): Promise<void> {
  await blocked(store).deleteOne({ _id: idOf(businessNumberId, customerKey) });
}

export async function findBlocked(store: Store, businessNumberId: string, customerKey: string): Promise<BlockedUserDoc | null> {
  return blocked(store).findOne({ _id: idOf(businessNumberId, customerKey) });
}
