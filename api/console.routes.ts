import { existsSync } from 'node:fs';
import express, { Router } from 'express';
import { allow, may, principalOf } from './auth';
import type { LiveFeeds } from './console.live';
import { ConversationId } from './conversations.schema';
import type { ConversationService } from '../services/conversations.service';
import { toTemplateDetail } from './templates.routes';
import type { TemplateService } from '../services/templates.service';

/**
 * The web console: its built files under /console (they hold no data; every read goes through /v1 with the person's
 * key), and the small read it needs beside the public API.
 */
export function consoleRoutes(dir: string): Router {
  const router = Router();
  router.get('/', (_req, res) => res.redirect('/console/'));
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
    const { role, name } = principalOf(res);
    res.json({ role, name });
  });
  return router;
}

/**
 * The console's live pages as server-sent events (`snapshot` events carry what the matching /v1 read answers;
 * `problem` events an RFC 9457 problem). Each is one shared server-side poll, whoever watches.
 */
export function consoleLiveRoutes({ feeds, conversations, templates }: { feeds: LiveFeeds; conversations: ConversationService; templates: TemplateService }): Router {
  const router = Router();
  const read = allow(...may.readConversations);
  router.get('/v1/console/live/conversations', read, (_req, res) => {
    feeds.stream(res, 'conversations', async () => ({ conversations: await conversations.list({ limit: 200 }) }));
  });
  router.get('/v1/console/live/conversations/:conversationId', read, (req, res) => {
    const id = ConversationId.parse(req.params.conversationId);
    // From the store: a query every poll would load each watched conversation on a worker (or replay it) every second.
    feeds.stream(res, `conversation:${id}`, async () => {
      const [conversation, messages] = await Promise.all([conversations.stored(id), conversations.messages(id)]);
      return { conversation, messages };
    });
  });
  router.get('/v1/console/live/agent', allow('agent'), (_req, res) => {
    const { name } = principalOf(res);
    feeds.stream(res, `agent:${name}`, async () => ({ conversations: await conversations.heldBy(name) }));
  });
  router.get('/v1/console/live/templates', read, (_req, res) => {
    feeds.stream(res, 'templates', async () => ({ templates: (await templates.list({})).map(toTemplateDetail) }));
  });
  return router;
}
