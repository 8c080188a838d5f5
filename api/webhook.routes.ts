import { timingSafeEqual } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import { AppError } from '../lib/errors';
import { webhookAckSeconds, webhookParts, webhookRequests } from '../lib/metrics';
import { createBacklog } from './webhook.backlog';
import { ingestParts, partsOf, type IngestDeps, type IngestSummary } from './webhook.ingest';
import { CloudWebhookBody } from './webhook.schema';
import { isValidSignature } from './webhook.signature';
import { fieldErrorsOf } from './request';

export interface WebhookRouteDeps {
  ingest: IngestDeps;
  appSecret: string;
  verifyToken: string;
  bodyLimitBytes: number;
  /** Bodies with more parts (messages, statuses, …) than this are acknowledged first and handed over after (default 50). */
  inlineParts?: number;
  /** Ends the backlog's resume timer. */
  shutdown?: AbortSignal;
}

const sameText = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The Cloud API webhook: the subscription handshake, and signed deliveries of messages and statuses. */
export function webhookRoutes(deps: WebhookRouteDeps): Router {
  const router = Router();
  const backlog = createBacklog(deps.ingest, deps.shutdown ? { shutdown: deps.shutdown } : {});
  const inlineParts = deps.inlineParts ?? 50;

  router.get('/webhooks/whatsapp', (req, res) => {
    const mode = req.query['hub.mode'];
    const token = req.query['hub.verify_token'];
    const challenge = req.query['hub.challenge'];
    if (mode !== 'subscribe' || typeof token !== 'string' || !sameText(token, deps.verifyToken) || typeof challenge !== 'string') {
      throw new AppError('invalid_verify_token');
    }
    res.type('text/plain').send(challenge);
  });

  // Every delivery is counted and timed by the answer it got, refusals included (README "Metrics and traces"); raw
  // bytes, because the signature covers the body exactly as sent, before any parsing.
  router.post('/webhooks/whatsapp', countDelivery, express.raw({ type: () => true, limit: deps.bodyLimitBytes }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!isValidSignature(raw, req.get('x-hub-signature-256'), deps.appSecret)) throw new AppError('invalid_signature');
    if (!req.is('application/json')) throw new AppError('unsupported_media_type', 'Webhooks must be application/json');
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new AppError('invalid_webhook_payload', 'The body is not valid JSON');
    }
    const parsed = CloudWebhookBody.safeParse(json);
    if (!parsed.success) {
      const errors = fieldErrorsOf('body', parsed.error.issues);
      throw new AppError('invalid_webhook_payload', 'The body does not match the Cloud API webhook shape', { errors });
    }
    // Only an outage reaches the catch: a part the connector cannot use is kept as a dead letter and acknowledged.
    const parts = partsOf(parsed.data);
    const receivedAt = new Date();
    let summary;
    try {
      summary = parts.length > inlineParts ? await backlog.accept(raw, parts.length, receivedAt) : await ingestParts(deps.ingest, parts, receivedAt);
    } catch (err) {
      // Not durable yet: a non-200 makes the broker deliver the same body again (Meta retries for up to 7 days).
      deps.ingest.logger.warn({ err }, 'webhook not accepted; the broker will retry');
      throw new AppError('temporarily_unavailable', 'The webhook could not be stored; deliver it again');
    }
    countParts(summary);
    res.status(200).json({ received: summary });
  });

  return router;
}

/** What one acknowledged body carried, into `whatsapp_webhook_parts_total` (a large body: what was done inline). */
function countParts(summary: IngestSummary): void {
  const kinds: [keyof IngestSummary, string][] = [
    ['messages', 'message'],
    ['duplicates', 'duplicate'],
    ['statuses', 'status'],
    ['templateEvents', 'template_event'],
    ['ignoredChanges', 'ignored'],
    ['deadLetters', 'dead_letter'],
  ];
  for (const [field, kind] of kinds) if (summary[field] > 0) webhookParts.inc({ kind }, summary[field]);
}

/** Times and counts one webhook delivery by the status it was answered with (also 4xx from the body parser). */
const countDelivery: RequestHandler = (_req, res, next) => {
  const stop = webhookAckSeconds.startTimer();
  res.once('finish', () => {
    const status = String(res.statusCode);
    stop({ status });
    webhookRequests.inc({ status });
  });
  next();
};
