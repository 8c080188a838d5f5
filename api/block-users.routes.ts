import { Router } from 'express';
import { z } from 'zod';
import { once, optionalWholeNumber } from './query-params';
import { allow, may, principalOf } from './auth';
import { ConversationId } from './conversations.schema';
import { parseIn } from './request';
import type { BlockService } from '../services/block-users.service';
import type { ConversationService } from '../services/conversations.service';

export const BlockedUsersQuery = z
  .strictObject({
    limit: optionalWholeNumber('limit', { min: 1, max: 1_000 }),
    after: once('after', z.string().min(1).max(512).optional()).meta({ description: 'The `after` cursor of the previous page' }),
  })
  .meta({ id: 'BlockedUsersQuery' });

/** A WhatsApp id as the number's blocklist lists it (digits). */
export const BlockedWaId = z.string().regex(/^\d{1,32}$/).meta({ description: 'A WhatsApp id from GET /v1/numbers/{id}/blocked-users' });

/**
 * Supervisors and agents block and unblock the person of a conversation (Meta's Block Users API, services/block-users.service.ts);
 * supervisors read a number's blocklist and unblock from it by WhatsApp id. An agent reaches only the conversations it may read.
 */
export function blockUserRoutes(blocks: BlockService, conversations: Pick<ConversationService, 'visible'>): Router {
  const router = Router();
  const blockers = allow('agent', 'supervisor');
  const by = (res: Parameters<typeof principalOf>[0]) => {
    const principal = principalOf(res);
    return principal.agent ? `agent ${principal.agent.id}` : `${principal.name} (${principal.keyId})`;
  };

  router.post('/v1/conversations/:conversationId/block', blockers, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    await conversations.visible(id, principalOf(res), { mustExist: true });
    res.json(await blocks.block(id, by(res)));
  });

  router.delete('/v1/conversations/:conversationId/block', blockers, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    await conversations.visible(id, principalOf(res), { mustExist: true });
    res.json(await blocks.unblock(id, by(res)));
  });

  router.get('/v1/numbers/:phoneNumberId/blocked-users', allow(...may.supervise), async (req, res) => {
    const number = parseIn('path', z.string().regex(/^\d{1,32}$/), req.params.phoneNumberId, 'phoneNumberId');
    res.json(await blocks.list(number, parseIn('query', BlockedUsersQuery, req.query)));
  });

  // By WhatsApp id, from the blocklist: the way to lift a block no conversation names (an erased person's).
  router.delete('/v1/numbers/:phoneNumberId/blocked-users/:waId', allow(...may.supervise), async (req, res) => {
    const number = parseIn('path', z.string().regex(/^\d{1,32}$/), req.params.phoneNumberId, 'phoneNumberId');
    const waId = parseIn('path', BlockedWaId, req.params.waId, 'waId');
    res.json(await blocks.unblockUser(number, waId, by(res)));
  });

  return router;
}
