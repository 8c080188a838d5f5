import { z } from 'zod';
import { recordPortfolioLimit } from '../store/portfolio.store';
import type { IngestDeps } from './webhook.deps';

/**
 * The `business_capability_update` change value: `max_daily_conversations_per_business` is the business portfolio's
 * messaging limit (250, 2000, 10000, 100000, or -1 for unlimited); `max_daily_conversation_per_phone` carried the same
 * until February 2026 and is read only when the newer field is absent.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/business_capability_update/
 */
export const BusinessCapabilityValue = z.looseObject({
  max_daily_conversations_per_business: z.coerce.number().int().min(-1).optional(),
  max_daily_conversation_per_phone: z.coerce.number().int().min(-1).optional(),
  max_phone_numbers_per_business: z.coerce.number().int().optional(),
  max_phone_numbers_per_waba: z.coerce.number().int().optional(),
});
export type BusinessCapabilityValue = z.infer<typeof BusinessCapabilityValue>;

/**
 * Applies one `business_capability_update`: the portfolio of the account `wabaId` (the entry's id) gets the limit
 * WhatsApp reports, which the template ledger uses from then on instead of configuration. Answers 1 when a limit was
 * recorded, 0 for a change without one (phone-number limits only).
 */
export async function ingestCapabilityUpdate(
  deps: Pick<IngestDeps, 'store'>,
  wabaId: string,
  time: number | undefined,
  value: BusinessCapabilityValue,
  receivedAt: Date,
): Promise<number> {
  const reported = value.max_daily_conversations_per_business ?? value.max_daily_conversation_per_phone;
  if (reported === undefined) return 0;
  const limit = reported === -1 ? 'unlimited' : reported;
  await recordPortfolioLimit(deps.store, { wabaId, limit, reportedAt: time ?? Math.floor(receivedAt.getTime() / 1000), receivedAt });
  return 1;
}
