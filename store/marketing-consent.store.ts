import { learnIdentifiers, findCustomerBy, membersOf, rootOf } from './customers.store';
import { mongoRegistry, type CustomerDoc, type MarketingPreference } from './customer-registry.db';
import { parseIdentifier, personPhone, type Identifier } from '../lib/customer-identifiers';
import type { Store } from './db';

/**
 * A person's marketing consent, kept on their customer document in the registry (store/customers.store.ts): what
 * they last said through WhatsApp's "Offers and announcements" setting (the `user_preferences` webhook), or what a
 * 131050 refusal told us. The newest word wins: a conditional update on `marketing.at`, so a late redelivery of an
 * older `stop` never overrides a newer `resume`, on FerretDB as on MongoDB.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
 */

/** Records the preference on the person these identifiers name (learned if new). Answers their customer id. */
export async function recordMarketingPreference(store: Store, who: { waId?: string; userId?: string }, preference: MarketingPreference): Promise<string> {
  const person = await learnIdentifiers(mongoRegistry(store), {
    hints: { ...(who.waId ? { phones: [who.waId] } : {}), ...(who.userId ? { userId: who.userId } : {}) },
    now: preference.at,
  });
  const customers = store.db.collection<CustomerDoc>('customers');
  await customers.updateOne(
    { _id: person._id, $or: [{ marketing: { $exists: false } }, { 'marketing.at': { $lte: preference.at } }] },
    { $set: { marketing: preference } },
  );
  return person._id;
}

/**
 * The person's latest marketing preference, across every customer merged into them (a `stop` heard under their
 * BSUID counts for their phone number). Undefined: they never said.
 */
export async function marketingPreferenceOf(store: Store, customer: { key: string; waId?: string; userId?: string }): Promise<MarketingPreference | undefined> {
  const registry = mongoRegistry(store);
  const names: (Identifier | undefined)[] = [
    parseIdentifier(customer.key),
    customer.userId ? { kind: 'bsuid', value: customer.userId } : undefined,
    customer.waId ? { kind: 'phone', value: personPhone(customer.waId) } : undefined,
  ];
  let person: CustomerDoc | undefined;
  for (const name of names) {
    person = name ? await findCustomerBy(registry, name) : undefined;
    if (person) break;
  }
  if (!person) return undefined;
  const members = await membersOf(registry, await rootOf(registry, person._id));
  const docs = await store.db
    .collection<CustomerDoc>('customers')
    .find({ _id: { $in: members } }, { projection: { marketing: 1 } })
    .toArray();
  return docs
    .map((d) => d.marketing)
    .filter((m): m is MarketingPreference => m !== undefined)
    .sort((a, b) => +new Date(b.at) - +new Date(a.at))[0];
}
