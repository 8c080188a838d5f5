import { Router } from 'express';
import { z } from 'zod';
import { once, wholeNumber } from './query-params';
import { AppError } from '../lib/errors';
import type { Store } from '../store/db';
import { deadLetterReasons, listDeadLetters, type DeadLetterDoc } from '../store/dead-letters.store';
import { allow, may } from './auth';
import { parseIn } from './request';

export const DeadLettersQuery = z.strictObject({
  reason: z.enum(deadLetterReasons).optional(),
  limit: wholeNumber('limit', { min: 1, max: 500, fallback: 100 }),
  before: once('before', z.string().min(1).max(256).optional()).meta({
    description: "A dead letter's id (the last letter's id of the page you hold): the page of letters after it, newest first",
  }),
});

export const DeadLetterView = z
  .object({
    id: z.string(),
    reason: z.enum(deadLetterReasons),
    detail: z.string(),
    field: z.string().meta({ description: 'The webhook change field it came in' }),
    raw: z.string().meta({ description: 'The part as received (a message, a status or a change value), JSON' }),
    context: z.string().optional().meta({ description: "The change's metadata and contacts, JSON, for a replay" }),
    businessNumberId: z.string().optional(),
    wamid: z.string().optional(),
    receivedAt: z.string(),
  })
  .meta({ id: 'DeadLetter', description: 'A webhook part the connector could not use: acknowledged to the broker, kept here for a replay' });

const toView = ({ _id, receivedAt, ...rest }: DeadLetterDoc): z.infer<typeof DeadLetterView> => ({ id: _id, ...rest, receivedAt: receivedAt.toISOString() });

/**
 * Supervisors list the webhook parts kept aside (newest first), to see what the broker sent that nothing could use:
 * `{deadLetters, hasOlder}`, the next page by `?before=<the last letter's id>`; 404 `unknown_dead_letter` when
 * `before` names no letter.
 */
export function deadLetterRoutes(store: Store): Router {
  const router = Router();
  router.get('/v1/dead-letters', allow(...may.supervise), async (req, res) => {
    const query = parseIn('query', DeadLettersQuery, req.query);
    const page = await listDeadLetters(store, query);
    if (!page) throw new AppError('unknown_dead_letter', `No dead letter ${query.before}`);
    res.json({ deadLetters: page.docs.map(toView), hasOlder: page.hasOlder });
  });
  return router;
}
