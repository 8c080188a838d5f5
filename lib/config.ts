import { z } from 'zod';
import { parsePayloadKeys } from './payload-codec';
import { trustProxy } from './trust-proxy';

const port = z.coerce.number().int().min(0).max(65_535);
const durationMs = z.coerce.number().int().positive();
/** Meta's messaging-limit tiers are 250, 2,000, 10,000, 100,000 and unlimited; any positive count is accepted. */
const templateTier = z.union([z.literal('unlimited'), z.coerce.number().int().positive()]);
const sendRate = z.coerce.number().int().positive().max(1_000);
/** `id:base64key,…`, newest first: the first encrypts, every one decrypts (see lib/payload-codec.ts). */
const payloadKeys = z.string().transform((text, ctx) => {
  try {
    return parsePayloadKeys(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; expected id:base64key[,id:base64key…], newest first` });
    return z.NEVER;
  }
});
/** Per business number overrides of the send rate and the template tier, as JSON keyed by phone-number id. */
const numberLimits = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON like {"106540352242922":{"sendRatePerSecond":200,"templateTier":10000}}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().regex(/^\d{1,64}$/), z.strictObject({ sendRatePerSecond: sendRate.optional(), templateTier: templateTier.optional() })));

/** The largest webhook body Meta sends, 3 MB (read as MiB, the larger): https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks */
export const META_WEBHOOK_MAX_BYTES = 3 * 1024 * 1024;

/** `VAR=` (as compose writes `${VAR:-}`) means unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema);

/**
 * Every setting the service reads, parsed once at start-up. Nothing else reads `process.env`.
 * The README's configuration table mirrors this schema.
 */
export const ConfigSchema = z.object({
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  /** OpenTelemetry collector (OTLP over HTTP, e.g. http://otel-collector:4318): traces from webhook to send. Unset: off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** Largest request body the JSON API accepts, in bytes (webhooks: WEBHOOK_BODY_LIMIT_BYTES). */
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /**
   * Largest webhook body accepted, in bytes. Meta: "Webhooks payloads can be up to 3MB"
   * (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks); a smaller limit answers Meta 413 for a sound
   * body, which Meta redelivers for 7 days and then drops, so it may not be set below that.
   */
  WEBHOOK_BODY_LIMIT_BYTES: z.coerce.number().int().min(META_WEBHOOK_MAX_BYTES, `Meta sends webhook bodies of up to 3 MB (${META_WEBHOOK_MAX_BYTES} bytes)`).default(META_WEBHOOK_MAX_BYTES),
  /** Webhooks with more parts (messages, statuses…) are acknowledged once stored whole, then handed over in chunks. */
  WEBHOOK_INLINE_PARTS: z.coerce.number().int().positive().default(50),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('whatsapp-conversations'),
  /**
   * AES-256 keys of the payload codec, `id:base64key,…` newest first: every workflow input, signal, update, result
   * and activity argument is encrypted with the first before it reaches Temporal; any listed one decrypts.
   */
  TEMPORAL_PAYLOAD_KEYS: payloadKeys,
  /** Browser origins (the Temporal Web UI) allowed to call the codec server at /codec; comma-separated. */
  TEMPORAL_CODEC_CORS_ORIGINS: z.string().default('http://localhost:8233,http://127.0.0.1:8233').transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean)),
  /** Workflows kept in the worker's cache; evicted ones are rebuilt by replay on their next event. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().default(2_000),
  /** How long a worker reuses the published configuration it read (a publish reaches running conversations within it). */
  SETTINGS_CACHE_MS: z.coerce.number().int().min(0).default(1_000),
  /** A workflow bundle built ahead (bundleWorkflowCode); unset = bundle workflows/ at start-up. */
  WORKER_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** The worker's GET /healthz for probes (on HTTP_HOST); unset: no health server (npm start). */
  WORKER_HEALTH_PORT: unsetIfEmpty(port.optional()),
  /**
   * `npm run worker`'s CPU priority, as a nice value 0-19 (0: as the API; higher: yields to it). A webhook is
   * answered once its message is durable in Temporal; the worker's part can wait, the broker's answer cannot. Off by
   * default: on a host with cores to spare it only delays handling (README "Performance").
   */
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(0),

  MONGODB_URL: z.string().default('mongodb://127.0.0.1:27017/'),
  MONGODB_DB: z.string().default('whatsapp_connector'),

  /** Cloud API base URL: Meta's Graph API, a BSP that mirrors it, or the bundled simulator. */
  WHATSAPP_API_BASE_URL: z.url().default('https://graph.facebook.com'),
  /**
   * Graph API version in the path: Meta's current one (v27.0, introduced 4 November 2026; v23.0 is available until
   * 8 October 2027). https://developers.facebook.com/documentation/development/graph-api/changelog
   */
  WHATSAPP_API_VERSION: z.string().regex(/^v\d+\.\d+$/).default('v27.0'),
  WHATSAPP_ACCESS_TOKEN: z.string().min(1),
  /** App secret that signs webhook bodies (X-Hub-Signature-256). */
  WHATSAPP_APP_SECRET: z.string().min(1),
  /** Token the broker echoes in the webhook verification handshake. */
  WHATSAPP_VERIFY_TOKEN: z.string().min(1),
  /** The WhatsApp Business Account that owns templates, for numbers registered without their own. */
  WHATSAPP_BUSINESS_ACCOUNT_ID: z.string().regex(/^\d{1,32}$/).optional(),
  /** The Meta app that uploads template header samples (Resumable Upload API, /{app-id}/uploads); unset: `app`, the token's own app. */
  WHATSAPP_APP_ID: z.string().regex(/^\d{1,32}$/).optional(),
  /** How often template statuses are fetched from the broker, in case a status webhook was lost; 0 turns it off. */
  TEMPLATE_SYNC_INTERVAL_MS: z.coerce.number().int().min(0).default(15 * 60 * 1000),
  /** How long one broker request may take before it counts as failed and is retried. */
  WHATSAPP_REQUEST_TIMEOUT_MS: durationMs.default(10_000),

  /** How long a conversation whose window has closed stays open before it ends by itself. */
  CONVERSATION_IDLE_CLOSE_MS: durationMs.default(24 * 60 * 60 * 1000),

  /** How often the web console's live pages (board, inbox, templates) re-read what they show, once per page watched. */
  CONSOLE_LIVE_POLL_MS: durationMs.default(1_000),
  /** Live streams one API key may hold open at once (429 `too_many_streams` past it). */
  LIVE_STREAMS_PER_KEY: z.coerce.number().int().positive().default(16),
  /** Live streams the whole API holds open at once, all keys together (429 `too_many_streams` past it). */
  LIVE_STREAMS_TOTAL: z.coerce.number().int().positive().default(1_000),
  /** Longest a live stream stays open; then it ends and the client reconnects (its key checked afresh). */
  LIVE_STREAM_MAX_MS: durationMs.default(15 * 60 * 1000),
  /** Conversations one console page's stream (`GET /v1/console/live`) may carry (400 `too_many_conversations` past it). */
  LIVE_STREAM_CONVERSATIONS: z.coerce.number().int().positive().default(20),

  /** Failed authentications one client address may make per minute before it is refused with 429 and Retry-After. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().default(20),
  /**
   * Which reverse proxies may name the client in X-Forwarded-For (express's `trust proxy`): a hop count or addresses
   * and subnets. Unset: off, the connecting address is the client and X-Forwarded-For is ignored. Behind a proxy,
   * set it, or every client shares the proxy's address and its failed-authentication budget.
   */
  TRUST_PROXY: unsetIfEmpty(trustProxy.optional()),
  /**
   * Requests one API key may make per second, steady (a burst of twice as many is allowed once per 10 s); past it,
   * 429 `too_many_requests` with Retry-After. Per API process. The webhook is signed, not keyed: never limited here.
   */
  API_KEY_REQUESTS_PER_SECOND: z.coerce.number().int().positive().default(200),
  /**
   * Days messages, media, closed conversations' projections, dead letters and webhook batches are kept, unless a
   * number sets its own (PUT /v1/numbers/{id}/retention). At least 7: Meta redelivers a webhook for up to 7 days,
   * and the once-only marks must outlive that. A Temporal Schedule purges what expired every RETENTION_PURGE_EVERY_MS.
   */
  RETENTION_DAYS: z.coerce.number().int().min(7).max(3650).default(365),
  RETENTION_PURGE_EVERY_MS: durationMs.default(60 * 60 * 1000),
  /** What an agent key may read: `own` (the conversations it holds and those waiting in its queues) or `all`. */
  AGENT_VISIBILITY: z.enum(['own', 'all']).default('own'),

  /** Most conversation runs one analyst API request replays (KPIs over a wider filter answer 400). */
  ANALYTICS_MAX_RUNS: z.coerce.number().int().positive().default(500),
  /**
   * Sends per second per business number, enforced by the Temporal server across all workers. WhatsApp allows 80
   * messages per second by default (1,000 upgraded), customers' messages included: the default leaves them room.
   */
  WHATSAPP_SEND_RATE_PER_SECOND: sendRate.default(60),
  /** A business portfolio's messaging limit until WhatsApp reports one (business_capability_update): unique customers per moving 24 h outside their window, all its numbers together. */
  WHATSAPP_TEMPLATE_TIER: templateTier.default(250),
  /**
   * Overrides of the two settings above: `sendRatePerSecond` under a number's id, `templateTier` under a business
   * portfolio's id (a number's own `templateTier` only when its portfolio has none); WhatsApp's reported limit wins.
   */
  WHATSAPP_NUMBER_LIMITS: numberLimits.optional(),
  /** Least time between two messages to one customer (WhatsApp allows about one every 6 s: error 131056). */
  WHATSAPP_CUSTOMER_PACING_MS: z.coerce.number().int().min(0).default(6_000),
  /** How often a worker looks for send lanes (one per business number) that other workers opened. */
  WORKER_SEND_LANE_REFRESH_MS: durationMs.default(10_000),

  /**
   * The contact centre's SIP connector, e.g. `sip:whatsapp@cc.example.com:5060;transport=tcp` (UDP unless the URI
   * says tcp or tls). Unset: nothing is routed to people; integrators answer through the API.
   */
  SIP_CONNECTOR_URI: unsetIfEmpty(z.string().regex(/^sip:[^\s]+$/, 'expected a sip: URI, e.g. sip:whatsapp@cc.example.com:5060;transport=tcp').optional()),
  /** Where the worker's SIP user agent listens (UDP and TCP on one port) for answers and the contact centre's BYE. */
  SIP_LOCAL_HOST: z.string().default('127.0.0.1'),
  /** 0 = any free port (the Contact header names the one taken); a fixed port suits firewalls. */
  SIP_LOCAL_PORT: port.default(5060),
  /** The address the contact centre reaches this worker at, when it differs from SIP_LOCAL_HOST (0.0.0.0, NAT). */
  SIP_PUBLIC_HOST: unsetIfEmpty(z.string().min(1).optional()),
  /** How long an INVITE may go unanswered (ringing included) before it is CANCELled and counts as no answer. */
  SIP_INVITE_TIMEOUT_MS: durationMs.default(30_000),
  /** The answer's header naming the agent; without it, the user part of the answer's Contact. */
  SIP_AGENT_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/).default('X-Agent-Id'),
  /**
   * How the chat reaches the agent: `none` (only the assignment crosses SIP), `message` (each line an in-dialog SIP
   * MESSAGE, RFC 3428) or `msrp` (the INVITE offers an MSRP session and each line is an MSRP SEND, RFC 4975).
   */
  SIP_CHAT_MODE: z.enum(['none', 'message', 'msrp'], { message: 'expected none, message or msrp' }).default('none'),
  /** Base of the links to customers' media in chat lines (`<base>/v1/media/<id>`), as the agents' desktops reach the API. */
  SIP_CHAT_MEDIA_BASE_URL: z.string().url().default('http://localhost:3000'),
  /**
   * The digest realm in which WhatsApp calls (Meta's INVITEs) are challenged, when the number's calling settings hold
   * Meta's SIP password. Calls arrive on SIP_LOCAL_HOST:SIP_LOCAL_PORT over UDP or TCP, and over TLS (which Meta
   * requires) on SIP_TLS_PORT once SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE are set.
   */
  SIP_CALLS_REALM: z.string().regex(/^[\w.-]+$/).default('whatsapp-connector'),
  /**
   * PEM certificate (chain) for the SIP TLS listener: it must cover the hostname set in the number's calling settings
   * (`sip.servers[].hostname`), which Meta checks. Set with SIP_TLS_KEY_FILE; unset: no TLS listener.
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
   */
  SIP_TLS_CERT_FILE: unsetIfEmpty(z.string().min(1).optional()),
  /** The certificate's private key (PEM). */
  SIP_TLS_KEY_FILE: unsetIfEmpty(z.string().min(1).optional()),
  /** The SIP TLS listener's port on SIP_LOCAL_HOST (RFC 3261's 5061 by default; 0 = any free port). */
  SIP_TLS_PORT: port.default(5061),
  /** PEM CAs trusted besides Node's own when the connector connects out over TLS (a private CA; tests). */
  SIP_TLS_CA_FILE: unsetIfEmpty(z.string().min(1).optional()),
  /**
   * Meta's SIP server, where business-initiated calls are placed (`sip:+<wa_id>@wa.meta.vc;transport=tls`, SIP page:
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/). Host, port and transport
   * are settings so that tests (sipp on loopback) can play Meta; in production TLS, as Meta requires.
   */
  SIP_META_HOST: z.string().min(1).default('wa.meta.vc'),
  SIP_META_PORT: port.default(5061),
  SIP_META_TRANSPORT: z.enum(['tls', 'tcp', 'udp'], { message: 'expected tls, tcp or udp' }).default('tls'),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Parses the environment, failing start-up with every problem named at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseOrExplain(ConfigSchema.superRefine(sipTlsPaired), env);
}

/**
 * The SIP TLS listener's certificate and key come as a pair, whether or not SIP is on: half a pair is a mistake to
 * name at start-up, not one to find when the first call arrives.
 */
function sipTlsPaired(config: Config, ctx: z.RefinementCtx): void {
  if (Boolean(config.SIP_TLS_CERT_FILE) === Boolean(config.SIP_TLS_KEY_FILE)) return;
  const missing = config.SIP_TLS_CERT_FILE ? 'SIP_TLS_KEY_FILE' : 'SIP_TLS_CERT_FILE';
  ctx.addIssue({ code: 'custom', path: [missing], message: 'SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE are set together or not at all' });
}

/** Just the store settings, for commands that need nothing else (e.g. issuing the first API key). */
export function loadStoreConfig(env: Record<string, string | undefined> = process.env): Pick<Config, 'MONGODB_URL' | 'MONGODB_DB'> {
  return parseOrExplain(ConfigSchema.pick({ MONGODB_URL: true, MONGODB_DB: true }), env);
}

function parseOrExplain<T>(schema: z.ZodType<T>, env: Record<string, string | undefined>): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/**
 * What `npm start` brings up itself when no address is given: the Temporal dev server, FerretDB and the broker
 * simulator, all on loopback, with data under DATA_DIR.
 */
export const EmbeddedSchema = z.object({
  TEMPORAL_ADDRESS: z.string().optional(),
  MONGODB_URL: z.string().optional(),
  WHATSAPP_API_BASE_URL: z.string().optional(),
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_TEMPORAL_PORT: port.default(7233),
  EMBEDDED_TEMPORAL_UI_PORT: port.default(8233),
  EMBEDDED_FERRETDB_PORT: port.default(27017),
  EMBEDDED_SIMULATOR_PORT: port.default(4100),
  /**
   * The embedded Temporal dev server's SQLite pragmas (`--sqlite-pragma`), comma-separated `name=value`: write-ahead
   * log, synced at every commit, by default; `journal_mode=wal,synchronous=normal` is faster and may lose the last
   * commits on a power loss (never on a crash of a process). https://www.sqlite.org/pragma.html
   */
  EMBEDDED_TEMPORAL_SQLITE_PRAGMAS: z
    .string()
    .default('journal_mode=wal,synchronous=full')
    .transform((value) => value.split(',').map((pragma) => pragma.trim()).filter(Boolean))
    .refine((pragmas) => pragmas.every((pragma) => /^[a-z_]+=[A-Za-z0-9_-]+$/.test(pragma)), 'expected name=value pairs separated by commas, e.g. journal_mode=wal,synchronous=full'),
});

export type EmbeddedPlan = z.infer<typeof EmbeddedSchema>;

/**
 * What `npm start` embeds, read from `env`. Throws `Invalid configuration:` naming each bad variable, as
 * {@link loadConfig} does, before anything is started.
 */
export function loadEmbeddedPlan(env: Record<string, string | undefined> = process.env): EmbeddedPlan {
  return parseOrExplain(EmbeddedSchema, env);
}

/**
 * What the analysts' tool (`wa-analyst`) reads from the environment; its command-line options override each one.
 * Separate from {@link ConfigSchema}: an analyst needs no WhatsApp secrets.
 */
export const AnalystSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Read for pricing categories only; unset = KPIs without them. */
  MONGODB_URL: z.string().optional(),
  MONGODB_DB: z.string().default('whatsapp_connector'),
  /** A prebuilt workflow bundle to replay against; unset = bundle workflows/ at start. */
  WORKER_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** The service's payload keys; unset = encrypted histories cannot be read (only unencrypted ones replay). */
  TEMPORAL_PAYLOAD_KEYS: unsetIfEmpty(payloadKeys.optional()),
});

export type AnalystConfig = z.infer<typeof AnalystSchema>;

export function loadAnalystConfig(env: Record<string, string | undefined> = process.env): AnalystConfig {
  return AnalystSchema.parse(env);
}
