import type { Store } from '../store/db';
import { firstHold, holdIds, listHolds } from '../store/health.store';
import { findNumber } from '../store/numbers.store';
import { findTemplate, templateKey } from '../store/templates.store';
import type { CampaignHold, CampaignTemplate } from '../workflows/campaign.messages';

/**
 * The account-health hold that stops a campaign's next send, if any (store/health.store.ts): the number flagged
 * (quality RED), its WhatsApp Business Account restricted or disabled, the template paused, disabled or deleted at WhatsApp,
 * or — for a marketing template — the number's marketing held after a 131048. An account hold applies to the numbers
 * registered under that account, and to numbers registered without one (the safe side: one account is the usual
 * deployment).
 */
export async function holdFor(store: Store, businessNumberId: string, template: CampaignTemplate): Promise<CampaignHold | undefined> {
  const key = templateKey(businessNumberId, template.name, template.language);
  const stored = await findTemplate(store, businessNumberId, template.name, template.language);
  // WhatsApp's pause also reaches us as a 132015 refusal, which sets the status without a webhook: the status holds too.
  // So do a DELETED status (Meta's webhook, or the sync or a 132001 refusal finding it gone from WhatsApp's list).
  if (stored?.status === 'PAUSED' || stored?.status === 'DISABLED' || stored?.status === 'DELETED') {
    const placed = await firstHold(store, [holdIds.template(key)]);
    return { holdId: holdIds.template(key), reason: placed?.reason ?? `WhatsApp ${stored.status.toLowerCase()} the template`, ...(placed ? { alertId: placed.alertId } : {}) };
  }
  const marketing = stored?.category.toLowerCase() === 'marketing';
  const ids = [holdIds.number(businessNumberId), holdIds.template(key), ...(marketing ? [holdIds.marketing(businessNumberId)] : [])];
  const direct = await firstHold(store, ids);
  if (direct) return { holdId: direct._id, reason: direct.reason, alertId: direct.alertId };
  const accounts = (await listHolds(store)).filter((h) => h._id.startsWith('account:'));
  if (accounts.length === 0) return undefined;
  const wabaId = (await findNumber(store, businessNumberId))?.wabaId;
  const account = accounts.find((h) => !wabaId || h._id === holdIds.account(wabaId));
  return account ? { holdId: account._id, reason: account.reason, alertId: account.alertId } : undefined;
}
