import { resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { META_WEBHOOK_MAX_BYTES, type Config } from '../lib/config';
import { createAnalyticsService } from '../analytics/analytics.service';
import { AppError } from '../lib/errors';
import type { MessagingLimits } from '../lib/messaging-limits';
import type { Store } from '../store/db';
import { findApiKeyByHash } from '../store/api-keys.store';
import { agentRegistryRoutes } from './agent-registry.routes';
import { apiKeyRoutes } from './api-keys.routes';
import { codecRoutes } from './codec.routes';
import { erasureRoutes } from './erasure.routes';
import { createErasureService } from '../services/erasure.service';
import { createErasureClock } from '../services/erasure-clock';
import { authenticate } from './auth';
import { createFailedAuthLimiter } from './auth-limiter';
import { keyRateLimit } from './key-rate-limit';
import { metricsRoutes } from './metrics.routes';
import { requestSpan } from './request-span';
import { jsonShapeGuard, refuseNonUtf8 } from './request-guards';
import { accessLog } from './access-log';
import { securityHeaders } from './security-headers';
import { analyticsRoutes } from './analytics.routes';
import { campaignRoutes } from './campaigns.routes';
import { alertRoutes } from './alerts.routes';
import { pricingRoutes } from './pricing.routes';
import { createAlertService } from '../services/alerts.service';
import { createCampaignService } from '../services/campaigns.service';
import { conversationRoutes } from './conversations.routes';
import { agentRoutes } from './agents.routes';
import { customerRoutes } from './customers.routes';
import { createCustomerService } from '../services/customers.service';
import { createLiveFeeds, defaultLiveLimits } from './console.live';
import { consoleApiRoutes, consoleLiveRoutes, consoleRoutes } from './console.routes';
import { machineConfigRoutes } from './machine-config.routes';
import { numberRoutes } from './numbers.routes';
import { blockUserRoutes } from './block-users.routes';
import { createBlockUsersClient } from '../integrations/broker/block-users.client';
import { createBlockService } from '../services/block-users.service';
import { deadLetterRoutes } from './dead-letters.routes';
import { templateRoutes } from './templates.routes';
import { createTemplateService, type TemplateService } from '../services/templates.service';
import { createTemplateApiClient } from '../integrations/broker/template-api.client';
import { callRoutes } from './calls.routes';
import { createCallSettingsService } from '../services/call-settings.service';
import { createCallingSettingsClient } from '../integrations/broker/calling-settings.client';
import { createConversationService } from '../services/conversations.service';
import { createReceiptService } from '../services/receipts.service';
import { mediaRoutes } from './media.routes';
import { openApiDocument } from './openapi';
import { methodNotAllowed } from './method-not-allowed';
import { notFoundHandler, problemHandler } from './problem';
import { webhookRoutes } from './webhook.routes';
import { publishedVersionReader } from './webhook.deps';

export interface AppDeps {
  config: Pick<
    Config,
    | 'HTTP_BODY_LIMIT_BYTES'
    | 'TEMPORAL_TASK_QUEUE'
    | 'CONVERSATION_IDLE_CLOSE_MS'
    | 'WHATSAPP_APP_SECRET'
    | 'WHATSAPP_VERIFY_TOKEN'
    | 'WHATSAPP_API_BASE_URL'
    | 'WHATSAPP_API_VERSION'
    | 'WHATSAPP_ACCESS_TOKEN'
    | 'WHATSAPP_REQUEST_TIMEOUT_MS'
  > &
    Partial<
      Pick<
        Config,
        | 'WHATSAPP_BUSINESS_ACCOUNT_ID'
        | 'WHATSAPP_APP_ID'
        | 'CONSOLE_LIVE_POLL_MS'
        | 'LIVE_STREAMS_PER_KEY'
        | 'LIVE_STREAMS_TOTAL'
        | 'LIVE_STREAM_MAX_MS'
        | 'LIVE_STREAM_CONVERSATIONS'
        | 'AUTH_FAILURES_PER_MINUTE'
        | 'TRUST_PROXY'
        | 'API_KEY_REQUESTS_PER_SECOND'
        | 'AGENT_VISIBILITY'
        | 'WEBHOOK_INLINE_PARTS'
        | 'WEBHOOK_BODY_LIMIT_BYTES'
        | 'SETTINGS_CACHE_MS'
      >
    >;
  store: Store;
  temporal: Client;
  logger: Logger;
  /** Analyst routes: the workflow bundle to replay against (default: bundle workflows/ once) and a cap on runs per request. */
  analytics?: { workflowBundlePath?: string; maxRuns?: number };
  /** Per-number rates and template tiers; WhatsApp's defaults when absent. */
  limits?: MessagingLimits;
  /** Where the built web console is (default console/dist under the working directory). */
  consoleDir?: string;
  /** The payload codec served at /codec for the Temporal Web UI and CLI (absent: no codec server). */
  codecServer?: { codec: PayloadCodec; corsOrigins: readonly string[] };
  /** Aborted when the server stops: ends the console's live streams, which would otherwise hold it open. */
  shutdown?: AbortSignal;
  /** The Temporal SDK's metrics exporter in this process (`npm start` runs the worker here), added to /metrics. */
  sdkMetricsUrl?: string;
}

/** Whether the request carries a body at all (`curl -X POST` sends none; `fetch` sends `content-length: 0`). */
const carriesBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * JSON routes take JSON only: a body of another type is a 415, not a confusing schema error. A request without a
 * body passes: a route whose body is optional takes it as such, one that needs a body answers 400 naming it.
 */
const requireJson: RequestHandler = (req, _res, next) => {
  const mayHaveBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
  if (mayHaveBody && carriesBody(req) && !req.is('application/json')) return next(new AppError('unsupported_media_type', 'Send application/json'));
  next();
};

/** The template service over the configured broker; the API and the periodic sync share its shape. */
export function templateServiceFor({ config, store, logger }: Pick<AppDeps, 'config' | 'store' | 'logger'>): TemplateService {
  const broker = createTemplateApiClient({
    baseUrl: config.WHATSAPP_API_BASE_URL,
    version: config.WHATSAPP_API_VERSION,
    accessToken: config.WHATSAPP_ACCESS_TOKEN,
    timeoutMs: config.WHATSAPP_REQUEST_TIMEOUT_MS,
  });
  return createTemplateService({
    store,
    broker,
    logger,
    ...(config.WHATSAPP_BUSINESS_ACCOUNT_ID ? { defaultWabaId: config.WHATSAPP_BUSINESS_ACCOUNT_ID } : {}),
    ...(config.WHATSAPP_APP_ID ? { appId: config.WHATSAPP_APP_ID } : {}),
  });
}

export function createApp({ config, store, temporal, logger, analytics, limits, consoleDir = resolve('console/dist'), shutdown, codecServer, sdkMetricsUrl }: AppDeps): Express {
  const app = express();
  const templates = templateServiceFor({ config, store, logger });
  app.disable('x-powered-by');
  // The client's address (req.ip: the failed-authentication limit) from X-Forwarded-For only through proxies named so.
  app.set('trust proxy', config.TRUST_PROXY ?? false);
  app.use(accessLog(logger));
  app.use(securityHeaders());
  app.use(requestSpan);

  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  const idleCloseAfterMs = config.CONVERSATION_IDLE_CLOSE_MS;
  const settingsVersion = publishedVersionReader(store, config.SETTINGS_CACHE_MS ?? 1_000);
  // One per process: the erasure moves it, the ingest reads it (README "Events arriving after an erasure").
  const erasureClock = createErasureClock(store);
  app.use(
    webhookRoutes({
      ingest: { store, temporal, taskQueue, idleCloseAfterMs, logger, templates, settingsVersion, erasureClock },
      appSecret: config.WHATSAPP_APP_SECRET,
      verifyToken: config.WHATSAPP_VERIFY_TOKEN,
      // Not the JSON API's limit: Meta's bodies reach 3 MB, and one refused is redelivered, then lost.
      bodyLimitBytes: config.WEBHOOK_BODY_LIMIT_BYTES ?? META_WEBHOOK_MAX_BYTES,
      ...(config.WEBHOOK_INLINE_PARTS ? { inlineParts: config.WEBHOOK_INLINE_PARTS } : {}),
      ...(shutdown ? { shutdown } : {}),
    }),
  );

  app.get('/openapi.json', (_req, res) => void res.json(openApiDocument()));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.use(metricsRoutes({ store, ...(sdkMetricsUrl ? { sdkMetricsUrl } : {}) }));

  // One failed-authentication limiter for every route that takes an API key (the codec server's too).
  const authLimiter = createFailedAuthLimiter(config.AUTH_FAILURES_PER_MINUTE ?? 20);
  if (codecServer) app.use(codecRoutes({ store, ...codecServer, authLimiter, bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES }));
  app.use(consoleRoutes(consoleDir));
  // Every /v1 route needs an API key; each route names the roles it allows.
  app.use('/v1', authenticate(store, authLimiter), keyRateLimit(config.API_KEY_REQUESTS_PER_SECOND ?? 200));
  app.use(consoleApiRoutes({ liveStreamConversations: config.LIVE_STREAM_CONVERSATIONS ?? defaultLiveLimits.topicsPerStream }));
  // Uploads are multipart, so they are routed before the JSON-only gate.
  app.use(mediaRoutes(store));
  app.use('/v1', requireJson, express.json({ limit: config.HTTP_BODY_LIMIT_BYTES, strict: true, verify: refuseNonUtf8 }), jsonShapeGuard);
  const agentVisibility = config.AGENT_VISIBILITY ?? 'own';
  const conversations = createConversationService({ store, temporal, taskQueue, idleCloseAfterMs, agentVisibility, ...(limits ? { limits } : {}) });
  app.use(conversationRoutes(conversations, createReceiptService({ store, temporal })));
  app.use(agentRoutes(conversations));
  app.use(customerRoutes(createCustomerService(store), conversations));
  const feeds = createLiveFeeds({
    everyMs: config.CONSOLE_LIVE_POLL_MS ?? 1_000,
    logger,
    ...(shutdown ? { shutdown } : {}),
    limits: {
      ...(config.LIVE_STREAMS_PER_KEY ? { perKey: config.LIVE_STREAMS_PER_KEY } : {}),
      ...(config.LIVE_STREAMS_TOTAL ? { total: config.LIVE_STREAMS_TOTAL } : {}),
      ...(config.LIVE_STREAM_MAX_MS ? { maxLifetimeMs: config.LIVE_STREAM_MAX_MS } : {}),
      ...(config.LIVE_STREAM_CONVERSATIONS ? { topicsPerStream: config.LIVE_STREAM_CONVERSATIONS } : {}),
    },
    // A stream lives on its key: revoked, or re-issued under another role, and the stream ends.
    recheck: async (owner) => (await findApiKeyByHash(store, owner.keyHash))?.role === owner.role,
  });
  app.use(consoleLiveRoutes({ feeds, conversations, templates }));
  app.use(apiKeyRoutes(store));
  app.use(agentRegistryRoutes(store));
  app.use(erasureRoutes(createErasureService({ store, temporal, erasureClock }), store));
  app.use(machineConfigRoutes(store, settingsVersion.forget));
  app.use(numberRoutes(store));
  const blockUsers = createBlockUsersClient({
    baseUrl: config.WHATSAPP_API_BASE_URL,
    version: config.WHATSAPP_API_VERSION,
    accessToken: config.WHATSAPP_ACCESS_TOKEN,
    timeoutMs: config.WHATSAPP_REQUEST_TIMEOUT_MS,
  });
  app.use(blockUserRoutes(createBlockService({ store, broker: blockUsers }), conversations));
  app.use(callRoutes(createCallSettingsService({ store, meta: createCallingSettingsClient({ baseUrl: config.WHATSAPP_API_BASE_URL, version: config.WHATSAPP_API_VERSION, accessToken: config.WHATSAPP_ACCESS_TOKEN, timeoutMs: config.WHATSAPP_REQUEST_TIMEOUT_MS }) }), store));
  app.use(deadLetterRoutes(store));
  app.use(templateRoutes(templates));
  app.use(analyticsRoutes(createAnalyticsService({ temporal, store, ...analytics })));
  const campaignService = createCampaignService({ store, temporal, taskQueue, ...(limits ? { limits } : {}) });
  app.use(campaignRoutes(campaignService));
  app.use(alertRoutes(createAlertService({ store, campaigns: campaignService })));
  app.use(pricingRoutes(store));

  app.use(methodNotAllowed());
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return app;
}
