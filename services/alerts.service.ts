import { AppError } from '../lib/errors';
import type { Store } from '../store/db';
import { findAlert, liftHold, listAlerts, listHolds, resolveAlerts, type AlertDoc } from '../store/health.store';
import { campaignsPausedBy, type CampaignDoc } from '../store/campaigns.store';
import type { CampaignService } from './campaigns.service';
import { holdFor } from './campaign-holds';

/**
 * Supervisors' view of account health: the alerts (newest first, each with what to do), the holds standing, and
 * the one decision that is theirs: resolving an alert lifts its hold and either resumes the campaigns it paused or
 * keeps them paused. A campaign still held by another cause (or a template WhatsApp still pauses) is not resumed,
 * and the answer says so.
 */
export function createAlertService(deps: { store: Store; campaigns: Pick<CampaignService, 'resume'> }) {
  const { store } = deps;

  async function pausedBy(holdId: string): Promise<CampaignDoc[]> {
    return campaignsPausedBy(store, holdId);
  }

  return {
    async list(filter: { status?: AlertDoc['status']; limit: number }) {
      const alerts = await listAlerts(store, filter);
      return { alerts, holds: await listHolds(store) };
    },

    async get(alertId: string) {
      const alert = await findAlert(store, alertId);
      if (!alert) throw new AppError('unknown_alert', `No alert ${alertId}`);
      const campaigns = alert.holdId ? (await pausedBy(alert.holdId)).map((c) => c.campaignId) : [];
      return { alert, pausedCampaigns: campaigns };
    },

    /** Idempotent: resolving again (say, after WhatsApp's all-clear) applies the choice to campaigns still paused. */
    async resolve(alertId: string, choice: 'resume' | 'keepPaused', by: string) {
      const alert = await findAlert(store, alertId);
      if (!alert) throw new AppError('unknown_alert', `No alert ${alertId}`);
      if (alert.holdId) await liftHold(store, alert.holdId);
      const now = new Date();
      await resolveAlerts(store, { alertId }, alert.status === 'resolved' ? (alert.resolvedBy ?? by) : by, alert.status === 'resolved' ? (alert.resolvedAt ?? now) : now, choice === 'resume' ? 'resumed' : 'keptPaused');
      const resumed: string[] = [];
      const stillHeld: { campaignId: string; reason: string; alertId?: string }[] = [];
      for (const campaign of alert.holdId ? await pausedBy(alert.holdId) : []) {
        if (choice !== 'resume') continue;
        const hold = await holdFor(store, campaign.businessNumberId, campaign.template);
        if (hold) {
          stillHeld.push({ campaignId: campaign.campaignId, reason: hold.reason, ...(hold.alertId ? { alertId: hold.alertId } : {}) });
          continue;
        }
        try {
          await deps.campaigns.resume(campaign.campaignId);
          resumed.push(campaign.campaignId);
        } catch (err) {
          // Finished meanwhile (cancelled by someone): nothing to resume.
          if (!(err instanceof AppError && err.code === 'campaign_finished')) throw err;
        }
      }
      return { alert: (await findAlert(store, alertId))!, resumed, stillHeld };
    },
  };
}

export type AlertService = ReturnType<typeof createAlertService>;
