import type { MessagePricing } from '../store/documents';

/**
 * Outbound messages by what WhatsApp charges for them, from the status webhooks' per-message pricing (since July 2025):
 * `type` regular is billable at its category's rate; free_customer_service (a utility template inside the customer
 * service window, or any non-template message) and free_entry_point (within 72 h of a free entry point) are not.
 * A status without `type` (older webhook versions) falls back on `billable`.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
export interface PricingKpis {
  /** By pricing category: billable and free message counts. */
  byCategory: Record<string, { billable: number; free: number }>;
  /** Free messages by why they were free (pricing.type). */
  freeByType: Record<string, number>;
  /** Messages no status has priced yet (not delivered, or pricing not sent). */
  unpriced: number;
  /** Billable messages times the supervisors' rate card; null until one is set. */
  costEstimate: { currency: string; total: number; byCategory: Record<string, number>; unratedCategories: string[] } | null;
}

export function isBillable(pricing: MessagePricing): boolean {
  return pricing.type !== undefined ? pricing.type === 'regular' : pricing.billable === true;
}

export class PricingAccumulator {
  private readonly byCategory: PricingKpis['byCategory'] = {};
  private readonly freeByType: Record<string, number> = {};
  private unpriced = 0;

  add(pricings: Iterable<MessagePricing | undefined>): void {
    for (const pricing of pricings) {
      if (!pricing?.category && !pricing?.type) {
        this.unpriced += 1;
        continue;
      }
      const category = pricing.category ?? 'unknown';
      const counts = (this.byCategory[category] ??= { billable: 0, free: 0 });
      if (isBillable(pricing)) counts.billable += 1;
      else {
        counts.free += 1;
        const why = pricing.type ?? 'not_billable';
        this.freeByType[why] = (this.freeByType[why] ?? 0) + 1;
      }
    }
  }

  result(rateCard: { currency: string; rates: Record<string, number> } | null): PricingKpis {
    const byCategory = Object.fromEntries(Object.entries(this.byCategory).map(([c, n]) => [c, { ...n }]));
    let costEstimate: PricingKpis['costEstimate'] = null;
    if (rateCard) {
      const costs: Record<string, number> = {};
      const unrated: string[] = [];
      for (const [category, { billable }] of Object.entries(byCategory)) {
        if (billable === 0) continue;
        const rate = rateCard.rates[category];
        if (rate === undefined) unrated.push(category);
        else costs[category] = round(billable * rate);
      }
      costEstimate = { currency: rateCard.currency, total: round(Object.values(costs).reduce((a, b) => a + b, 0)), byCategory: costs, unratedCategories: unrated };
    }
    return { byCategory, freeByType: { ...this.freeByType }, unpriced: this.unpriced, costEstimate };
  }
}

/** Money to a millionth of the unit: rates like 0.0008 add up without float noise showing. */
const round = (n: number) => Math.round(n * 1e6) / 1e6;
