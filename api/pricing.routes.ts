import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors';
import type { Store } from '../store/db';
import { findRateCard, setRateCard, type RateCardDoc } from '../store/rate-card.store';
import { allow, may, principalOf } from './auth';

/** WhatsApp's pricing categories (status webhooks' `pricing.category`), plus any later ones by name. */
export const RateCardBody = z
  .strictObject({
    currency: z.string().regex(/^[A-Z]{3}$/).meta({ description: 'ISO 4217, e.g. USD' }),
    rates: z
      .record(z.string().regex(/^[a-z_]{1,40}$/), z.number().min(0).max(100))
      .refine((r) => Object.keys(r).length > 0, 'at least one category')
      .meta({ description: 'Price of one billable message by pricing category: marketing, utility, authentication, authentication_international…' }),
  })
  .meta({ id: 'RateCardInput' });

export const RateCardView = z
  .object({ currency: z.string(), rates: z.record(z.string(), z.number()), updatedAt: z.string(), updatedBy: z.string() })
  .meta({ id: 'RateCard', description: 'What supervisors say one billable message costs, by category; the KPIs estimate costs from it' });

const toView = ({ _id, updatedAt, ...rest }: RateCardDoc) => ({ ...rest, updatedAt: updatedAt.toISOString() });

/** Supervisors set the rate card; analysts read it beside the KPIs. */
export function pricingRoutes(store: Store): Router {
  const router = Router();
  router.get('/v1/pricing/rate-card', allow(...may.analyse), async (_req, res) => {
    const card = await findRateCard(store);
    if (!card) throw new AppError('no_rate_card', 'No rate card is set: a supervisor sets one with PUT /v1/pricing/rate-card');
    res.json(toView(card));
  });
  router.put('/v1/pricing/rate-card', allow(...may.supervise), async (req, res) => {
    const body = RateCardBody.parse(req.body);
    res.json(toView(await setRateCard(store, { ...body, updatedAt: new Date(), updatedBy: principalOf(res).name })));
  });
  return router;
}
