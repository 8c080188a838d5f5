import { useEffect, useState } from 'preact/hooks';
import type { z } from 'zod';
import type { AlertView } from '../../api/alerts.routes';
import type { CampaignView } from '../../api/campaigns.schema';
import { api, ApiProblem } from './api';

type Alert = z.infer<typeof AlertView>;
type Campaign = z.infer<typeof CampaignView>;

/** How often the banner asks for active alerts: account-health webhooks are rare; 15 s keeps the banner current without load. */
const POLL_MS = 15_000;

/**
 * Supervisors' account-health banner, on every page: each active alert WhatsApp raised (number flagged, account
 * restricted, template paused, spam limit…), with what to do, the campaigns it paused and their state, and the
 * supervisor's choice when resolving it: resume those campaigns or keep them paused.
 */
export function HealthBanner() {
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [paused, setPaused] = useState<Record<string, Campaign[]>>({});
  const [problem, setProblem] = useState<string>();

  const load = async () => {
    try {
      const { alerts: active } = await api<{ alerts: Alert[] }>('GET', '/v1/alerts?status=active&limit=20');
      const shown = active.filter((a) => a.severity !== 'info');
      const byAlert: Record<string, Campaign[]> = {};
      for (const alert of shown.filter((a) => a.holdId)) {
        const { pausedCampaigns } = await api<{ pausedCampaigns: string[] }>('GET', `/v1/alerts/${alert.id}`);
        byAlert[alert.id] = await Promise.all(pausedCampaigns.map((id) => api<Campaign>('GET', `/v1/campaigns/${id}`)));
      }
      setAlerts(shown);
      setPaused(byAlert);
      setProblem(undefined);
    } catch (err) {
      setProblem(err instanceof ApiProblem ? `${err.title} (${err.code})` : String(err));
    }
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, []);

  const resolve = async (alert: Alert, campaigns: 'resume' | 'keepPaused') => {
    try {
      await api('POST', `/v1/alerts/${alert.id}/resolve`, { campaigns });
      await load();
    } catch (err) {
      setProblem(err instanceof ApiProblem ? `${err.title} (${err.code})` : String(err));
    }
  };

  if (alerts.length === 0 && !problem) return null;
  return (
    <section class="health-banner" aria-label="Account health" aria-live="polite">
      {problem && <p class="error">{problem}</p>}
      {alerts.map((alert) => (
        <article key={alert.id} class={`health-alert ${alert.severity}`} aria-label={alert.title}>
          <h2>
            {alert.severity === 'critical' ? 'Action needed: ' : 'Warning: '}
            {alert.title}
          </h2>
          <p>{alert.whatToDo}</p>
          {alert.details && <p class="muted">{alert.details}</p>}
          {(paused[alert.id] ?? []).length > 0 && (
            <ul class="paused-campaigns" aria-label="Campaigns paused by this alert">
              {paused[alert.id]!.map((c) => (
                <li key={c.campaignId}>
                  Campaign {c.campaignId} ({c.template.name}): <strong>{c.state}</strong>, {c.processed} of {c.total} handed over
                </li>
              ))}
            </ul>
          )}
          {alert.holdId && (
            <div class="actions">
              <button type="button" onClick={() => void resolve(alert, 'resume')}>
                Resolve and resume campaigns
              </button>
              <button type="button" onClick={() => void resolve(alert, 'keepPaused')}>
                Resolve, keep campaigns paused
              </button>
              <a href={alert.source} target="_blank" rel="noreferrer">
                Meta’s page
              </a>
            </div>
          )}
        </article>
      ))}
    </section>
  );
}
