import { Router, type Response } from 'express';
import type { Sender } from '../machines/conversation.types';
import { AppError } from '../lib/errors';
import { allow, may, principalOf } from './auth';
import {
  CloseConversationBody,
  ConversationId,
  IdempotencyKey,
  ListConversationsQuery,
  ReceiptBody,
  SendMessageBody,
  StartConversationBody,
  ThreadQuery,
} from './conversations.schema';
import type { ConversationService } from '../services/conversations.service';
import type { ReceiptService } from '../services/receipts.service';
import { parseIn } from './request';

/**
 * What a message records as its sender is what the key proves: an agent key is its registered agent, any other writer
 * an integrator identified by its key id. A body naming someone else is refused, never recorded.
 */
export function senderFor(res: Response, claimed: { kind: Sender['kind']; id?: string | undefined } | undefined): Sender {
  const principal = principalOf(res);
  const proven: Sender = principal.agent ? { kind: 'agent', id: principal.agent.id } : { kind: 'integrator', id: principal.keyId };
  if (claimed && (claimed.kind !== proven.kind || (claimed.id !== undefined && claimed.id !== proven.id && proven.kind === 'agent'))) {
    throw new AppError('sender_not_proven', `This ${principal.role} key sends as ${proven.kind}${proven.kind === 'agent' ? ` ${proven.id}` : ''}; omit sender`);
  }
  return proven;
}

const read = allow(...may.readConversations);
const write = allow(...may.writeConversations);

const idempotencyKeyOf = (header: string | undefined) => (header === undefined ? undefined : parseIn('header', IdempotencyKey, header, 'idempotency-key'));

/** Integrator and agent routes: zod parse, one service call, the answer. No business rules here. */
export function conversationRoutes(conversations: ConversationService, receipts: ReceiptService): Router {
  const router = Router();

  router.post('/v1/conversations', write, async (req, res) => {
    const body = StartConversationBody.parse(req.body);
    res.status(202).json(await conversations.start(body, senderFor(res, body.sender), idempotencyKeyOf(req.get('idempotency-key'))));
  });

  router.get('/v1/conversations', read, async (req, res) => {
    const query = parseIn('query', ListConversationsQuery, req.query);
    res.json({ conversations: await conversations.list(query, principalOf(res)) });
  });

  router.get('/v1/conversations/:conversationId', read, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    await conversations.visible(id, principalOf(res));
    res.json(await conversations.get(id));
  });

  router.post('/v1/conversations/:conversationId/messages', write, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    const body = SendMessageBody.parse(req.body);
    res.status(202).json(await conversations.send(id, body.message, senderFor(res, body.sender), idempotencyKeyOf(req.get('idempotency-key'))));
  });

  // The agent opened the conversation: the customer's messages show as read (when the number has receipts on).
  router.post('/v1/conversations/:conversationId/read', write, async (req, res) => {
    res.json(await receipts.markRead(parseIn('path', ConversationId, req.params.conversationId, 'conversationId'), senderFor(res, ReceiptBody.parse(req.body ?? {}).sender)));
  });

  // The agent is typing: the customer sees the typing indicator (at most one call per 20 s, shown up to 25 s).
  router.post('/v1/conversations/:conversationId/typing', write, async (req, res) => {
    res.json(await receipts.typing(parseIn('path', ConversationId, req.params.conversationId, 'conversationId'), senderFor(res, ReceiptBody.parse(req.body ?? {}).sender)));
  });

  router.post('/v1/conversations/:conversationId/close', write, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    res.json(await conversations.close(id, senderFor(res, CloseConversationBody.parse(req.body ?? {}).sender)));
  });

  router.get('/v1/conversations/:conversationId/messages', read, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    const page = parseIn('query', ThreadQuery, req.query);
    const principal = principalOf(res);
    await conversations.visible(id, principal);
    res.json(await conversations.thread(id, principal.agent?.id, page));
  });

  router.get('/v1/conversations/:conversationId/templates', read, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    await conversations.visible(id, principalOf(res));
    res.json({ templates: await conversations.approvedTemplates(id) });
  });

  return router;
}
