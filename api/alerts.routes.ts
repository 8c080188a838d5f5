import { Router } from 'express';
import { z } from 'zod';
import { wholeNumber } from './query-params';
import type { AlertDoc, HoldDoc } from '../store/health.store';
import type { AlertService } from '../services/alerts.service';
import { allow, may, principalOf } from './auth';
import { parseIn } from './request';

export const AlertsQuery = z.strictObject({
  status: z.enum(['active', 'resolved']).optional(),
  limit: wholeNumber('limit', { min: 1, max: 500, fallback: 100 }),
});

export const AlertId = z.string().regex(/^alert_[0-9a-f]{24}$/);

export const ResolveAlertBody = z.strictObject({
  campaigns: z.enum(['resume', 'keepPaused']).meta({ description: 'What becomes of the campaigns this alert paused' }),
});

export const AlertView = z
  .object({
    id: z.string(),
    field: z.string().meta({ description: 'The webhook field it came from, or send_error (131048)' }),
    event: z.string().meta({ description: "Meta's event or alert type" }),
    severity: z.enum(['critical', 'warning', 'info']),
    status: z.enum(['active', 'resolved']),
    title: z.string(),
    whatToDo: z.string(),
    source: z.string().meta({ description: "Meta's page for this event" }),
    wabaId: z.string().optional(),
    businessNumberId: z.string().optional(),
    template: z.object({ name: z.string(), language: z.string() }).optional(),
    details: z.string().optional(),
    holdId: z.string().optional().meta({ description: 'The hold that pauses campaigns while the alert is active' }),
    createdAt: z.string(),
    resolvedAt: z.string().optional(),
    resolvedBy: z.string().optional(),
    campaigns: z.enum(['resumed', 'keptPaused']).optional(),
  })
  .meta({ id: 'AccountAlert', description: 'What WhatsApp said about the account, a number or a template, and what to do' });

export const HoldView = z.object({ id: z.string(), alertId: z.string(), reason: z.string(), since: z.string() }).meta({ id: 'AccountHold' });

export const toAlertView = ({ _id, createdAt, resolvedAt, ...rest }: AlertDoc): z.infer<typeof AlertView> => ({
  id: _id,
  ...rest,
  createdAt: createdAt.toISOString(),
  ...(resolvedAt ? { resolvedAt: resolvedAt.toISOString() } : {}),
});
const toHoldView = ({ _id, since, ...rest }: HoldDoc) => ({ id: _id, ...rest, since: since.toISOString() });

/** Supervisors read account-health alerts and decide what becomes of the campaigns they paused. */
export function alertRoutes(alerts: AlertService): Router {
  const router = Router();
  const supervise = allow(...may.supervise);

  router.get('/v1/alerts', supervise, async (req, res) => {
    const { alerts: list, holds } = await alerts.list(parseIn('query', AlertsQuery, req.query));
    res.json({ alerts: list.map(toAlertView), holds: holds.map(toHoldView) });
  });

  router.get('/v1/alerts/:alertId', supervise, async (req, res) => {
    const { alert, pausedCampaigns } = await alerts.get(parseIn('path', AlertId, req.params.alertId, 'alertId'));
    res.json({ alert: toAlertView(alert), pausedCampaigns });
  });

  router.post('/v1/alerts/:alertId/resolve', supervise, async (req, res) => {
    const id = parseIn('path', AlertId, req.params.alertId, 'alertId');
    const { campaigns } = ResolveAlertBody.parse(req.body ?? {});
    const result = await alerts.resolve(id, campaigns, principalOf(res).name);
    res.json({ alert: toAlertView(result.alert), resumed: result.resumed, stillHeld: result.stillHeld });
  });

  return router;
}
