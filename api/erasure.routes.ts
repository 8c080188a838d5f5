import { Router } from 'express';
import { z } from 'zod';
import type { ErasureService } from '../services/erasure.service';
import { listErasures } from '../store/erasure.store';
import type { Store } from '../store/db';
import { allow, may, principalOf } from './auth';

/** Any identifier of a person: a conversation id (`wa:<number>:<customer key>`), wa_id, user_id or username. */
export const CustomerIdentifier = z.string().min(1).max(256).meta({ description: 'Conversation id, customer key, wa_id, user_id or username' });
export const ErasureBody = z.strictObject({ customer: CustomerIdentifier }).meta({ id: 'ErasureBody' });

/**
 * Erasure of one person (supervisors only): `DELETE /v1/customers/{id}` or `POST /v1/erasures` answer what went and
 * what outlives the request; `GET /v1/erasures` is the audit trail (who, when, how much; never whom).
 */
export function erasureRoutes(erasure: ErasureService, store: Store): Router {
  const router = Router();
  const supervise = allow(...may.supervise);
  const by = (res: Parameters<typeof principalOf>[0]) => {
    const { keyId, role, name } = principalOf(res);
    return { keyId, role, name };
  };
  router.delete('/v1/customers/:customerId', supervise, async (req, res) => {
    res.json(await erasure.erase(CustomerIdentifier.parse(req.params.customerId), by(res)));
  });
  router.post('/v1/erasures', supervise, async (req, res) => {
    res.json(await erasure.erase(ErasureBody.parse(req.body).customer, by(res)));
  });
  router.get('/v1/erasures', supervise, async (_req, res) => {
    const erasures = await listErasures(store);
    res.json({ erasures: erasures.map(({ _id, at, by: who, erased, temporalRunsDeleted }) => ({ erasureId: _id, at: at.toISOString(), by: who, erased: { ...erased, temporalRuns: temporalRunsDeleted } })) });
  });
  return router;
}
