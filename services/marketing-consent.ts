import { AppError } from '../lib/errors';
import type { Store } from '../store/db';
import { firstHold, holdIds } from '../store/health.store';
import { marketingPreferenceOf } from '../store/marketing-consent.store';

/**
 * Refuses a marketing template before a unit or a send is spent: `409 marketing_held` while WhatsApp limits the number
 * for spam (131048, until a supervisor resolves the alert), `422 marketing_opted_out` when the person stopped
 * marketing messages (the `user_preferences` webhook, or a 131050 refusal).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
 */
export async function refuseUnwantedMarketing(store: Store, businessNumberId: string, templateName: string, customer?: { key: string; waId?: string; userId?: string }): Promise<void> {
  const held = await firstHold(store, [holdIds.marketing(businessNumberId)]);
  if (held) throw new AppError('marketing_held', `${templateName} is a marketing template: ${held.reason}`, { alertId: held.alertId });
  if (!customer) return;
  const preference = await marketingPreferenceOf(store, customer);
  if (preference?.value === 'stop') {
    throw new AppError('marketing_opted_out', `${templateName} is a marketing template, and this customer stopped marketing messages on ${preference.at.toISOString()}`, {
      stoppedAt: preference.at.toISOString(),
      source: preference.source,
    });
  }
}
