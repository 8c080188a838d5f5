import { existsSync } from 'node:fs';
import express, { Router } from 'express';
import { conversationDiagram } from '../machines/conversation.diagram';
import { allow, may, principalOf } from './auth';

/**
 * The web console: its built files under /console (they hold no data; every read goes through /v1 with the person's
 * key), and the two small reads it needs beside the public API.
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

/** Who a key speaks for (the console shows the pages of that role), and the machine's diagram for analysts. */
export function consoleApiRoutes(): Router {
  const router = Router();
  router.get('/v1/whoami', (_req, res) => {
    const { role, name } = principalOf(res);
    res.json({ role, name });
  });
  router.get('/v1/analytics/diagram', allow(...may.analyse), (_req, res) => {
    res.json({ diagram: conversationDiagram() });
  });
  return router;
}
