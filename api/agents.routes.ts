import { Router } from 'express';
import { agentOf, allow } from './auth';
import { ConversationId, TransferBody } from './conversations.schema';
import type { ConversationService } from '../services/conversations.service';
import { parseIn } from './request';

const agentsOnly = allow('agent');

/**
 * What an agent does beside replying and closing (those are the conversation routes, which check the assignment):
 * see the conversations they hold, and hand one on. The agent is the registered agent the key was issued to.
 */
export function agentRoutes(conversations: ConversationService): Router {
  const router = Router();

  router.get('/v1/agent/conversations', agentsOnly, async (_req, res) => {
    res.json({ conversations: await conversations.heldBy(agentOf(res).id) });
  });

  router.post('/v1/agent/conversations/:conversationId/transfer', agentsOnly, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    const to = TransferBody.parse(req.body);
    res.json(await conversations.transfer(id, { kind: 'agent', id: agentOf(res).id }, to));
  });

  return router;
}
