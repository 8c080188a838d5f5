import { existsSync } from 'node:fs';
import express, { Router, type Response } from 'express';
import { agentOf, allow, may, principalOf } from './auth';
import type { LiveFeeds } from './console.live';
import { ConversationId, type ConversationView } from './conversations.schema';
import type { ConversationService } from '../services/conversations.service';
import { toTemplateDetail } from './templates.routes';
import type { TemplateService } from '../services/templates.service';
import { parseIn } from './request';

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

/** Who a key speaks for: the console shows the pages of that role. */
export function consoleApiRoutes(): Router {
  const router = Router();
  router.get('/v1/whoami', (_req, res) => {
    const { role, name, agent } = principalOf(res);
    res.json({ role, name, ...(agent ? { agentId: agent.id } : {}) });
  });
  return router;
}

/**
 * The console's live pages as server-sent events (`snapshot` events carry what the matching /v1 read answers;
 * `problem` events an RFC 9457 problem). Each is one shared server-side poll, whoever watches. A stream is opened only
 * for what exists and the key may read (404 otherwise, as the read would answer), counted against the key's and the
 * service's caps, and ended when the key is revoked or the conversation leaves the agent's view.
 */
export function consoleLiveRoutes({ feeds, conversations, templates }: { feeds: LiveFeeds; conversations: ConversationService; templates: TemplateService }): Router {
  const router = Router();
  const read = allow(...may.readConversations);
  const ownerOf = (res: Response) => {
    const { keyId, keyHash, role } = principalOf(res);
    return { keyId, keyHash, role };
  };
  router.get('/v1/console/live/conversations', read, (_req, res) => {
    const viewer = principalOf(res);
    // An agent narrowed to its own view gets its own topic; everyone else shares one board.
    const narrowed = conversations.agentVisibility === 'own' && viewer.agent;
    const topic = narrowed ? `conversations:agent:${viewer.agent!.id}` : 'conversations';
    feeds.stream(res, topic, async () => ({ conversations: await conversations.list({ limit: 200 }, viewer) }), { owner: ownerOf(res) });
  });
  router.get('/v1/console/live/conversations/:conversationId', read, async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    const viewer = principalOf(res);
    // A made-up id costs one read and a 404, never a poll.
    await conversations.visible(id, viewer, { mustExist: true });
    // From the store: a query every poll would load each watched conversation on a worker (or replay it) every second.
    feeds.stream(
      res,
      `conversation:${id}`,
      async () => {
        const [conversation, thread] = await Promise.all([conversations.stored(id), conversations.thread(id, viewer.agent?.id)]);
        return { conversation, ...thread };
      },
      { owner: ownerOf(res), admit: (snapshot) => conversations.maySee((snapshot as { conversation: ConversationView }).conversation, viewer) },
    );
  });
  router.get('/v1/console/live/agent', allow('agent'), (_req, res) => {
    const agent = agentOf(res);
    feeds.stream(res, `agent:${agent.id}`, async () => ({ conversations: await conversations.heldBy(agent.id) }), { owner: ownerOf(res) });
  });
  router.get('/v1/console/live/templates', read, (_req, res) => {
    feeds.stream(res, 'templates', async () => ({ templates: (await templates.list({})).map(toTemplateDetail) }), { owner: ownerOf(res) });
  });
  return router;
}
