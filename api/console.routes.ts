import { existsSync } from 'node:fs';
import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { agentOf, allow, may, principalOf } from './auth';
import type { LiveFeeds, Subscription } from './console.live';
import { problemOf } from './problem';
import { AppError } from '../lib/errors';
import type { Viewer } from '../services/visibility';
import { ConversationId, type ConversationView } from './conversations.schema';
import type { ConversationService } from '../services/conversations.service';
import { toTemplateDetail } from './templates.routes';
import type { TemplateService } from '../services/templates.service';
import { parseIn } from './request';

/**
 * The live streams' query: `/v1/console/live` takes `conversation` (once per conversation, checked below), the others
 * nothing. Any other parameter is a 400 naming it, as on every route (README *Errors*), never silently ignored.
 */
const LiveQuery = z.strictObject({ conversation: z.unknown().optional() });
const NoQuery = z.strictObject({});

/**
 * The web console: its built files under /console (they hold no data; every read goes through /v1 with the person's
 * key), and the small read it needs beside the public API.
 */
export function consoleRoutes(dir: string): Router {
  const router = Router();
  router.get('/', (_req, res) => res.redirect('/console/'));
  // Source maps would hand out the console's source; the build keeps them for debugging, the API does not serve them.
  router.use('/console', (req, res, next) => (/\.map$/i.test(req.path) ? res.status(404).type('text/plain').send('Not found') : next()));
  if (existsSync(dir)) router.use('/console', express.static(dir, { index: 'index.html', fallthrough: true }));
  router.get('/console', (_req, res) => {
    res.status(503).type('text/plain').send('The console is not built: run `npm run build:console`.');
  });
  return router;
}

/**
 * Who a key speaks for: the console shows the pages of that role, and keeps within the limits it is told
 * (`liveStreamConversations`: LIVE_STREAM_CONVERSATIONS, the most conversations its page's one stream carries).
 */
export function consoleApiRoutes(limits: { liveStreamConversations: number }): Router {
  const router = Router();
  router.get('/v1/whoami', (_req, res) => {
    const { role, name, agent } = principalOf(res);
    res.json({ role, name, ...(agent ? { agentId: agent.id } : {}), limits });
  });
  return router;
}

/** Where a conversation's live events come from, for one viewer: its status and thread (an agent: its own calls) from the store. */
function conversationTopic(conversations: ConversationService, id: string, viewer: Viewer): Omit<Subscription, 'tag'> {
  return {
    // An agent's thread shows its own calls only (services/call-entries.ts), so agents do not share another viewer's topic.
    key: viewer.agent ? `conversation:${id}:agent:${viewer.agent.id}` : `conversation:${id}`,
    // From the store: a query every poll would load each watched conversation on a worker (or replay it) every second.
    load: async () => {
      const [conversation, thread] = await Promise.all([conversations.stored(id), conversations.thread(id, viewer.agent?.id)]);
      return { conversation, ...thread };
    },
    admit: (snapshot) => conversations.maySee((snapshot as { conversation: ConversationView }).conversation, viewer),
  };
}

const agentTopic = (conversations: ConversationService, agentId: string): Omit<Subscription, 'tag'> => ({
  key: `agent:${agentId}`,
  load: async () => ({ conversations: await conversations.heldBy(agentId) }),
});

/** The `conversation` query parameter, given once per conversation (a customer id may hold a comma). */
const listOf = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * The console's live pages as server-sent events (`snapshot` events carry what the matching /v1 read answers;
 * `problem` events an RFC 9457 problem). Each is one shared server-side poll, whoever watches. A stream is opened only
 * for what exists and the key may read (404 otherwise, as the read would answer), counted against the key's and the
 * service's caps, and ended when the key is revoked or the conversation leaves the agent's view. `/v1/console/live`
 * is the page's one stream: an agent's own conversations and each `conversation` asked for, every event saying
 * which (a browser holds six connections per origin, so one stream per panel stalls the page past five panels).
 */
export function consoleLiveRoutes({ feeds, conversations, templates }: { feeds: LiveFeeds; conversations: ConversationService; templates: TemplateService }): Router {
  const router = Router();
  const read = allow(...may.readConversations);
  const ownerOf = (res: Response) => {
    const { keyId, keyHash, role } = principalOf(res);
    return { keyId, keyHash, role };
  };
  router.get('/v1/console/live', read, async (req, res) => {
    parseIn('query', LiveQuery, req.query);
    const viewer = principalOf(res);
    const asked = listOf(req.query.conversation);
    const most = feeds.limits.topicsPerStream;
    if (asked.length > most) throw new AppError('too_many_conversations', `${asked.length} conversations asked for; one stream carries at most ${most}`, { limit: most });
    // A value that is not even text (`conversation[a]=…`) is no saved panel: the whole request is malformed.
    const ids = [...new Set(asked.map((id) => (typeof id === 'string' ? id : parseIn('query', ConversationId, id, 'conversation'))))];
    const subscriptions: Subscription[] = viewer.agent ? [{ ...agentTopic(conversations, viewer.agent.id), tag: { topic: 'agent' } }] : [];
    const refused: { tag: Subscription['tag']; problem: unknown }[] = [];
    // One read each, never a poll, for what the key may not read: refused on the stream, as the one-conversation route
    // would answer. A malformed id too (400 invalid_request, as that route answers it): a stale saved panel list must
    // not take down every other panel with a 400 for the whole stream.
    await Promise.all(
      ids.map(async (id) => {
        const tag = { topic: 'conversation', conversationId: id };
        try {
          parseIn('query', ConversationId, id, 'conversation');
          await conversations.visible(id, viewer, { mustExist: true });
          subscriptions.push({ ...conversationTopic(conversations, id, viewer), tag });
        } catch (err) {
          if (!(err instanceof AppError && (err.code === 'unknown_conversation' || err.code === 'invalid_request'))) throw err;
          refused.push({ tag, problem: problemOf(err) });
        }
      }),
    );
    feeds.streamMany(res, subscriptions, { owner: ownerOf(res), refused });
  });
  router.get('/v1/console/live/conversations', read, (req, res) => {
    parseIn('query', NoQuery, req.query);
    const viewer = principalOf(res);
    // An agent narrowed to its own view gets its own topic; everyone else shares one board.
    const narrowed = conversations.agentVisibility === 'own' && viewer.agent;
    const topic = narrowed ? `conversations:agent:${viewer.agent!.id}` : 'conversations';
    feeds.stream(res, topic, async () => ({ conversations: await conversations.list({ limit: 200 }, viewer) }), { owner: ownerOf(res) });
  });
  router.get('/v1/console/live/conversations/:conversationId', read, async (req, res) => {
    parseIn('query', NoQuery, req.query);
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    const viewer = principalOf(res);
    // A made-up id costs one read and a 404, never a poll.
    await conversations.visible(id, viewer, { mustExist: true });
    const { key, load, admit } = conversationTopic(conversations, id, viewer);
    feeds.stream(res, key, load, { owner: ownerOf(res), ...(admit ? { admit } : {}) });
  });
  router.get('/v1/console/live/agent', allow('agent'), (req, res) => {
    parseIn('query', NoQuery, req.query);
    const { key, load } = agentTopic(conversations, agentOf(res).id);
    feeds.stream(res, key, load, { owner: ownerOf(res) });
  });
  router.get('/v1/console/live/templates', read, (req, res) => {
    parseIn('query', NoQuery, req.query);
    feeds.stream(res, 'templates', async () => ({ templates: (await templates.list({})).map(toTemplateDetail) }), { owner: ownerOf(res) });
  });
  return router;
}
