import { Router } from 'express';
import { allow, may } from './auth';
import { CampaignId, CreateCampaignBody, EmptyBody, ListRecipientsQuery } from './campaigns.schema';
import type { CampaignService } from '../services/campaigns.service';
import { IdempotencyKey } from './conversations.schema';
import { parseIn } from './request';

const idempotencyKeyOf = (header: string | undefined) => (header === undefined ? undefined : parseIn('header', IdempotencyKey, header, 'idempotency-key'));

/** Integrator routes for campaigns: zod parse, one service call, the answer. */
export function campaignRoutes(campaigns: CampaignService): Router {
  const router = Router();

  const run = allow(...may.runCampaigns);
  const read = allow(...may.readCampaigns);

  router.post('/v1/campaigns', run, async (req, res) => {
    const body = CreateCampaignBody.parse(req.body);
    const campaign = await campaigns.create(body, idempotencyKeyOf(req.get('idempotency-key')));
    res.status(201).location(`/v1/campaigns/${campaign.campaignId}`).json(campaign);
  });

  router.get('/v1/campaigns/:campaignId', read, async (req, res) => {
    res.json(await campaigns.get(parseIn('path', CampaignId, req.params.campaignId, 'campaignId')));
  });

  router.get('/v1/campaigns/:campaignId/recipients', read, async (req, res) => {
    const { from, limit } = parseIn('query', ListRecipientsQuery, req.query);
    res.json(await campaigns.recipients(parseIn('path', CampaignId, req.params.campaignId, 'campaignId'), from, limit));
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/v1/campaigns/:campaignId/${action}`, run, async (req, res) => {
      const id = parseIn('path', CampaignId, req.params.campaignId, 'campaignId');
      EmptyBody.parse(req.body ?? {});
      res.json(await campaigns[action](id));
    });
  }

  return router;
}
