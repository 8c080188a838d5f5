import { meaningOf } from '../lib/meta-errors';
import type { Store } from '../store/db';
import { recordMarketingPreference } from '../store/marketing-consent.store';
import { holdMarketingForSpam } from './account-health';
import { parseIdentifier } from '../lib/customer-identifiers';

/**
 * What a refused send changes beyond its message (lib/meta-errors.ts `consequence`), whether WhatsApp refused it in
 * the send's answer or later by a `failed` status webhook: 131050 records that the person stopped marketing
 * messages; 131048 holds the number's marketing sends and alerts supervisors. Idempotent: a redelivered status
 * records the same preference (newest wins) and finds the hold in place.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 */
export async function failureConsequences(
  store: Store,
  code: number,
  businessNumberId: string,
  customer: { key: string; waId?: string; userId?: string },
  at: Date,
): Promise<void> {
  const consequence = meaningOf(code).consequence;
  if (consequence === 'holdMarketing') await holdMarketingForSpam(store, businessNumberId, at);
  if (consequence === 'marketingOptOut') {
    const key = parseIdentifier(customer.key);
    const who = {
      ...(customer.waId ? { waId: customer.waId } : key?.kind === 'phone' ? { waId: key.value } : {}),
      ...(customer.userId ? { userId: customer.userId } : key?.kind === 'bsuid' ? { userId: key.value } : {}),
    };
    if (!who.waId && !who.userId) return;
    await recordMarketingPreference(store, who, { value: 'stop', at, source: 'error_131050', businessNumberId });
  }
}
