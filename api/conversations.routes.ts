import { Router } from 'express';
import {
  CloseConversationBody,
  ConversationId,
  IdempotencyKey,
  ListConversationsQuery,
  SendMessageBody,
  StartConversationBody,
} from './conversations.schema';
import type { ConversationService } from './conversations.service';

const idempotencyKeyOf = (header: string | undefined) => (header === undefined ? undefined : IdempotencyKey.parse(header));

/** Integrator and agent routes: zod parse, one service call, the answer. No business rules here. */
export function conversationRoutes(conversations: ConversationService): Router {
  const router = Router();

  router.post('/v1/conversations', async (req, res) => {
    const body = StartConversationBody.parse(req.body);
    res.status(202).json(await conversations.start(body, idempotencyKeyOf(req.get('idempotency-key'))));
  });

  router.get('/v1/conversations', async (req, res) => {
    const query = ListConversationsQuery.parse(req.query);
    res.json({ conversations: await conversations.list(query) });
  });

  router.get('/v1/conversations/:conversationId', async (req, res) => {
    res.json(await conversations.get(ConversationId.parse(req.params.conversationId)));
  });

  router.post('/v1/conversations/:conversationId/messages', async (req, res) => {
    const id = ConversationId.parse(req.params.conversationId);
    const body = SendMessageBody.parse(req.body);
    res.status(202).json(await conversations.send(id, body.message, body.sender, idempotencyKeyOf(req.get('idempotency-key'))));
  });

  router.post('/v1/conversations/:conversationId/close', async (req, res) => {
    const id = ConversationId.parse(req.params.conversationId);
    res.json(await conversations.close(id, CloseConversationBody.parse(req.body ?? {}).sender));
  });

  router.get('/v1/conversations/:conversationId/messages', async (req, res) => {
    res.json({ messages: await conversations.messages(ConversationId.parse(req.params.conversationId)) });
  });

  router.get('/v1/conversations/:conversationId/templates', async (req, res) => {
    res.json({ templates: await conversations.approvedTemplates(ConversationId.parse(req.params.conversationId)) });
  });

  return router;
}
