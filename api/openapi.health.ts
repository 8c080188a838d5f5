import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { json, problem } from './openapi.responses';
import { AlertId, AlertView, AlertsQuery, HoldView, ResolveAlertBody } from './alerts.routes';
import { RateCardBody, RateCardView } from './pricing.routes';

/** Account health (alerts, holds) and the pricing rate card: supervisor routes (issue 20). */
export function healthPaths(): ZodOpenApiPathsObject {
  const forbidden = { '401': problem('No or unknown API key'), '403': problem('Not a supervisor key') };
  const alertPath = z.object({ alertId: AlertId });
  return {
    '/v1/alerts': {
      get: {
        summary: 'Account-health alerts from WhatsApp (newest first), each with what to do, and the holds pausing campaigns',
        requestParams: { query: AlertsQuery },
        responses: { '200': json('Alerts and holds', z.object({ alerts: z.array(AlertView), holds: z.array(HoldView) })), ...forbidden },
      },
    },
    '/v1/alerts/{alertId}': {
      get: {
        summary: 'One alert and the campaigns its hold paused',
        requestParams: { path: alertPath },
        responses: { '200': json('The alert', z.object({ alert: AlertView, pausedCampaigns: z.array(z.string()) })), '404': problem('unknown_alert'), ...forbidden },
      },
    },
    '/v1/alerts/{alertId}/resolve': {
      post: {
        summary: 'Resolve an alert: lift its hold, and resume the campaigns it paused or keep them paused',
        requestParams: { path: alertPath },
        requestBody: { required: true, content: { 'application/json': { schema: ResolveAlertBody } } },
        responses: {
          '200': json(
            'Resolved',
            z.object({
              alert: AlertView,
              resumed: z.array(z.string()),
              stillHeld: z.array(z.object({ campaignId: z.string(), reason: z.string(), alertId: z.string().optional() })).meta({ description: 'Campaigns another hold (or a template WhatsApp still pauses) keeps paused' }),
            }),
          ),
          '404': problem('unknown_alert'),
          ...forbidden,
        },
      },
    },
    '/v1/pricing/rate-card': {
      get: { summary: 'The rate card the KPIs estimate costs from', responses: { '200': json('Rate card', RateCardView), '404': problem('None set'), '401': problem('No or unknown API key') } },
      put: {
        summary: 'Set what one billable message costs, by WhatsApp pricing category',
        requestBody: { required: true, content: { 'application/json': { schema: RateCardBody } } },
        responses: { '200': json('Rate card', RateCardView), '400': problem('Invalid rate card'), ...forbidden },
      },
    },
  };
}
