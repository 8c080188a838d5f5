/**
 * The simulator's own controls under `/_sim` (what a test, a benchmark or a person at `npm start` drives: the sends
 * recorded, faults, a customer writing) and the answers to what no route took: Meta's error object for the Graph
 * API's paths, never express's HTML page with a stack trace.
 */
import type { Express, Request, Response } from 'express';
import { cloudError } from './errors';
import type { Fault } from './faults';

interface Controls {
  /** Every send the broker accepted, oldest first (GET /_sim/sent). */
  recorded(): unknown;
  faults: { add(fault: Fault): void; clear(): void; list(): Fault[] };
  /**
   * A customer writes (POST /_sim/inbound): `{"text": …}`, or any type: `{"type": "location", "content": {…}}`,
   * `{"type": "document", "media": {…}}`, `{"type": "reaction", "messageId": …, "emoji": …}`,
   * `{"type": "system", "systemType": …, "newWaId": …}`. Answers what the delivery did.
   */
  inbound(body: { text?: string; type?: string }): Promise<unknown>;
}

/** Installs the `/_sim` controls; first, since `/_sim/x` would otherwise match the Graph API's `/:version/:id` routes. */
export function installSimControls(app: Express, controls: Controls): void {
  app.get('/_sim/sent', (_req, res) => void res.json(controls.recorded()));
  app.post('/_sim/faults', (req, res) => {
    controls.faults.add(req.body as Fault);
    res.status(201).json({ faults: controls.faults.list() });
  });
  app.delete('/_sim/faults', (_req, res) => void (controls.faults.clear(), res.status(204).end()));
  app.post('/_sim/inbound', async (req, res) => void res.json(await controls.inbound(req.body as { text?: string; type?: string })));
}

/**
 * Last: an unknown path answers Meta's 404 (code 100); a body express.json refused (not JSON, `null` in strict mode,
 * too large) answers Meta's error object on the Graph API's paths and a problem of the controls' own on `/_sim`.
 */
export function installFallbacks(app: Express): void {
  app.use((_req, res) => void cloudError(res, 404, 100, 'Unknown path components'));
  app.use((err: { status?: number; message?: string }, req: Request, res: Response, next: (err?: unknown) => void) => {
    if (res.headersSent) return next(err);
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    const detail = status === 500 ? 'Something went wrong' : (err.message ?? 'Invalid request');
    if (req.path.startsWith('/_sim')) return void res.status(status).json({ error: status === 500 ? 'internal' : 'invalid_request', detail });
    cloudError(res, status === 500 ? 500 : 400, status === 500 ? 1 : 100, status === 500 ? 'An unknown error has occurred.' : 'Invalid parameter');
  });
}
