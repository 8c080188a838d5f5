import { isDuplicateKey, type Store } from './db';
import type { BusinessNumberDoc } from './documents';
import { insertNumber } from './numbers.store';

/**
 * Which phone-number id holds a display number: `_id` = the number in E.164 (`+12025550107`). A phone number is one
 * WhatsApp phone-number id at Meta (it is registered once: "Numbers already in use with WhatsApp cannot be
 * registered", https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/phone-numbers),
 * so two of ours naming one number would split its conversations. Exact under concurrency on FerretDB 1.x and
 * MongoDB alike: taking a number is an insert racing on this `_id`, the one write FerretDB makes atomic.
 */
interface DisplayNumberClaimDoc {
  _id: string;
  phoneNumberId: string;
  claimedAt: Date;
}

/** A claim this old whose phone-number id never got registered was left by a crash between the two writes. */
const STALE_CLAIM_MS = 60_000;

const claims = (store: Store) => store.db.collection<DisplayNumberClaimDoc>('business_display_numbers');

/** What registering a number did: `registered`, or who holds the id or the display number already. */
export type Registration = { outcome: 'registered' } | { outcome: 'id_exists' } | { outcome: 'display_taken'; heldBy: string };

/**
 * Registers the number unless its id is registered or another id holds its display number (`doc.displayNumber`,
 * E.164). Numbers registered before claims existed are found by their stored `displayNumber`.
 */
export async function registerNumber(store: Store, doc: BusinessNumberDoc, now = new Date()): Promise<Registration> {
  if (await store.numbers.findOne({ _id: doc._id }, { projection: { _id: 1 } })) return { outcome: 'id_exists' };
  const older = await store.numbers.findOne({ displayNumber: doc.displayNumber, _id: { $ne: doc._id } }, { projection: { _id: 1 } });
  if (older) return { outcome: 'display_taken', heldBy: older._id };
  const claimed = await claim(store, doc.displayNumber, doc._id, now);
  if (claimed !== doc._id) return { outcome: 'display_taken', heldBy: claimed };
  if (!(await insertNumber(store, doc))) {
    // The same id registered meanwhile (under this or another number): this claim must not hold the number for it.
    await claims(store).deleteOne({ _id: doc.displayNumber, phoneNumberId: doc._id, claimedAt: now });
    return { outcome: 'id_exists' };
  }
  // A claim taken over as stale while this request stalled past STALE_CLAIM_MS: the newer registration keeps the number.
  const holder = (await claims(store).findOne({ _id: doc.displayNumber }))?.phoneNumberId;
  if (holder !== undefined && holder !== doc._id) {
    await store.numbers.deleteOne({ _id: doc._id, registeredAt: doc.registeredAt });
    return { outcome: 'display_taken', heldBy: holder };
  }
  return { outcome: 'registered' };
}

/** Claims the display number for `phoneNumberId`; answers who holds it now (this id when it won, or already held it). */
async function claim(store: Store, displayNumber: string, phoneNumberId: string, now: Date): Promise<string> {
  const held = await insertClaim(store, { _id: displayNumber, phoneNumberId, claimedAt: now });
  if (held === undefined) return phoneNumberId;
  if (held.phoneNumberId === phoneNumberId) return phoneNumberId;
  const holder = await store.numbers.findOne({ _id: held.phoneNumberId }, { projection: { displayNumber: 1 } });
  const stale = now.getTime() - held.claimedAt.getTime() > STALE_CLAIM_MS && holder?.displayNumber !== displayNumber;
  if (!stale) return held.phoneNumberId;
  // One taker per stale claim: the take-over is itself an insert racing on an `_id` named after the claim it replaces.
  const ticket = await insertClaim(store, { _id: `${displayNumber}#takeover:${held.phoneNumberId}:${held.claimedAt.getTime()}`, phoneNumberId, claimedAt: now });
  if (ticket !== undefined) return ticket.phoneNumberId;
  await claims(store).replaceOne({ _id: displayNumber }, { phoneNumberId, claimedAt: now });
  return phoneNumberId;
}

/** Inserts the claim; undefined when it went in, else the claim already there. */
async function insertClaim(store: Store, doc: DisplayNumberClaimDoc): Promise<DisplayNumberClaimDoc | undefined> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await claims(store).insertOne(doc);
      return undefined;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const held = await claims(store).findOne({ _id: doc._id });
      // Released between the insert and the read (a registration that found its id taken): try again.
      if (held || attempt >= 2) return held ?? { ...doc, phoneNumberId: '' };
    }
  }
}
