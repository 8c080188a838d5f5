import type { Store } from './db';

/**
 * The rate card supervisors set for cost estimates: what one billable message costs, by WhatsApp pricing category
 * (marketing, utility, authentication, authentication_international…), in one currency. Meta's own rates vary by the
 * recipient's country (https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing): this is
 * the business's blended rate per category, so the KPI is an estimate, not an invoice.
 */
export interface RateCardDoc {
  _id: 'current';
  currency: string;
  /** Price of one billable message (pricing.type `regular`) by category. */
  rates: Record<string, number>;
  updatedAt: Date;
  updatedBy: string;
}

const cards = (store: Store) => store.db.collection<RateCardDoc>('pricing_rate_card');

export async function findRateCard(store: Store): Promise<RateCardDoc | null> {
  return cards(store).findOne({ _id: 'current' });
}

export async function setRateCard(store: Store, card: Omit<RateCardDoc, '_id'>): Promise<RateCardDoc> {
  await cards(store).updateOne({ _id: 'current' }, { $set: card }, { upsert: true });
  return { _id: 'current', ...card };
}
