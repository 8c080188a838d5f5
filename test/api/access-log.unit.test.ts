import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { createLogger } from '../../lib/logger';
import { accessLog } from '../../api/access-log';
import { notFoundHandler, problemHandler } from '../../api/problem';
import { securityHeaders } from '../../api/security-headers';

/**
 * The access log costs nothing where it would write nothing (a level above `info`), yet problem answers keep their
 * request id; at `info` each request is one line, as the README's *What is logged* says. Security headers are built
 * once and sent on every answer.
 */
async function serve(level: string) {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
  const logger = createLogger(level, 'api', destination);
  const app = express();
  app.use(accessLog(logger));
  app.use(securityHeaders());
  app.get('/ok', (_req, res) => void res.json({ ok: true }));
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, lines, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe.each(['warn', 'info'])('the access log at %s', (level) => {
  it('answers problems with the request id given, or one of its own, and logs a line per request only at info', async () => {
    const app = await serve(level);
    try {
      const given = await fetch(`${app.base}/nowhere`, { headers: { 'x-request-id': 'req-42' } });
      expect(given.status).toBe(404);
      expect(await given.json()).toMatchObject({ requestId: 'req-42' });
      const own = (await (await fetch(`${app.base}/nowhere`)).json()) as { requestId: string };
      expect(own.requestId).toMatch(/^[0-9a-f-]{36}$/);
      const ok = await fetch(`${app.base}/ok`);
      expect(ok.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(ok.headers.get('x-frame-options')).toBe('DENY');
      expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
      expect(ok.headers.get('x-powered-by')).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const requests = app.lines.filter((line) => line.includes('"req"'));
      expect(requests).toHaveLength(level === 'info' ? 3 : 0);
      if (level === 'info') expect(requests[0]).toContain('req-42');
    } finally {
      await app.close();
    }
  });
});
