import { answerClientErrors } from '../../api/client-errors';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../../api/app';
import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { defaultMessagingLimits, type MessagingLimits } from '../../lib/messaging-limits';
import type { ConnectorWorker } from '../../worker/worker';
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';
import { connectStore, type Store } from '../../store/db';
import { registerAgent } from '../../store/agents.store';
import { issueApiKey, roles, type Role } from '../../store/api-keys.store';
import { upsertTemplate } from '../../store/templates.store';
import { isNamed, type TemplateDefinition } from '../../lib/template-definition';
import { toCloudComponents } from '../../integrations/broker/template-api.client';
import { TEST_PAYLOAD_KEYS, testDataConverter, testEnv, testPayloadKeys, uniqueId } from './env';
import { AesGcmPayloadCodec } from '../../lib/payload-codec';
import { testWorker } from './test-worker';

export const BUSINESS_NUMBER_ID = '106540352242922';
export const ACCESS_TOKEN = 'e2e-token';
export const APP_SECRET = 'e2e-app-secret';
export const VERIFY_TOKEN = 'e2e-verify-token';
export const WABA_ID = '102290129340398';

/** The whole service on the real dev server and FerretDB, with its own database, task queue and simulator. */
export interface ServiceRig {
  baseUrl: string;
  store: Store;
  simulator: BrokerSimulator;
  temporal: Client;
  taskQueue: string;
  /** One API key per role, issued into this rig's store. */
  keys: Record<Role, string>;
  /** JSON request to the API as an integrator (unless `authorization` is given); status, parsed body, content type. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** The same, with the key of another role. */
  requestAs(role: Role, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /**
   * A template the number already has: stored here with `definition` (default: a body without placeholders) and,
   * the first time, held by the simulated WhatsApp too (it refuses sends of templates it does not hold, 132001).
   */
  approveTemplate(name: string, language?: string, status?: 'APPROVED' | 'PENDING' | 'REJECTED', definition?: TemplateDefinition): Promise<void>;
  /** The environment for a `bin/worker.ts` process serving this rig. */
  workerEnv(): Record<string, string>;
  stop(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON shapes
}

export interface ServiceOptions {
  /** Another Temporal than the shared one (a test that stops and restarts its own). */
  temporalAddress?: string;
  /** Another MongoDB-wire server than the shared one, likewise. */
  mongoUrl?: string;
  /** False: no worker here; the test runs `bin/worker.ts` as a process of its own (see workerEnv). */
  inProcessWorker?: boolean;
  /** Most runs an analyst API request replays (default: the service's own). */
  analyticsMaxRuns?: number;
  /** Rates, tiers and pacing for the API and the worker alike; when absent WhatsApp's defaults, with 1 s pacing. */
  limits?: MessagingLimits;
  /** The worker's SIP user agent (on a free loopback port) routing to this connector URI, e.g. sipp's. */
  sip?: {
    connectorUri: string;
    inviteTimeoutMs?: number;
    chatMode?: 'none' | 'message' | 'msrp';
    localPort?: number;
    /** SIP over TLS: the listener's certificate and key files and port (SIP_TLS_*), CAs trusted when connecting out. */
    tls?: { certFile: string; keyFile: string; port: number; caFile?: string };
    /** Where business-initiated calls go: sipp playing Meta's SIP server on loopback, or the simulator's SIP side. */
    meta?: { host: string; port: number; transport: 'udp' | 'tcp' } | 'simulator';
  };
  /** Security settings of the API (lib/config.ts names); the service's defaults when absent. */
  api?: Partial<Pick<Config, 'CONSOLE_LIVE_POLL_MS' | 'LIVE_STREAMS_PER_KEY' | 'LIVE_STREAMS_TOTAL' | 'LIVE_STREAM_MAX_MS' | 'AUTH_FAILURES_PER_MINUTE' | 'TRUST_PROXY' | 'API_KEY_REQUESTS_PER_SECOND' | 'AGENT_VISIBILITY'>>;
  /** The API's logger (default: silent). */
  logger?: Logger;
}

export async function startService(options: ServiceOptions = {}): Promise<ServiceRig> {
  const env = testEnv();
  const mongoUrl = options.mongoUrl ?? env.mongoUrl;
  const temporalAddress = options.temporalAddress ?? env.temporalAddress;
  const taskQueue = uniqueId('e2e');
  const dbName = uniqueId('e2e');
  const store = await connectStore(mongoUrl, dbName);
  // Customers who write through the simulator get Meta's 131047 outside their window; those posted straight to the
  // connector are never refused (the simulator does not know their window).
  const simulator = await startBrokerSimulator({ port: 0, accessToken: ACCESS_TOKEN, appSecret: APP_SECRET, statusDelayMs: 10, enforceServiceWindow: 'known-users' });

  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  // Pacing shortened from WhatsApp's 6 s so tests that reply several times stay quick; send-pacing.test.ts has the real one.
  const limits = { limits: options.limits ?? { ...defaultMessagingLimits, customerPacingMs: 1_000 } };
  // 'simulator': the simulator's own SIP side takes the business's calls, as `npm start` wires it (bin/up.ts).
  const meta = options.sip?.meta === 'simulator' ? await simulator.sip.address() : options.sip?.meta;
  const worker: ConnectorWorker | undefined =
    options.inProcessWorker === false
      ? undefined
      : await testWorker({
          connection: nativeConnection,
          taskQueue,
          store,
          simulator,
          accessToken: ACCESS_TOKEN,
          ...limits,
          ...(options.sip
            ? {
                sip: {
                  SIP_CONNECTOR_URI: options.sip.connectorUri,
                  SIP_LOCAL_HOST: '127.0.0.1',
                  SIP_LOCAL_PORT: options.sip.localPort ?? 0,
                  // Generous unless a test is about it: a slow shared machine never cuts an answer short.
                  SIP_INVITE_TIMEOUT_MS: options.sip.inviteTimeoutMs ?? 20_000,
                  SIP_AGENT_HEADER: 'X-Agent-Id',
                  ...(options.sip.chatMode ? { SIP_CHAT_MODE: options.sip.chatMode } : {}),
                  ...(options.sip.tls
                    ? {
                        SIP_TLS_CERT_FILE: options.sip.tls.certFile,
                        SIP_TLS_KEY_FILE: options.sip.tls.keyFile,
                        SIP_TLS_PORT: options.sip.tls.port,
                        ...(options.sip.tls.caFile ? { SIP_TLS_CA_FILE: options.sip.tls.caFile } : {}),
                      }
                    : {}),
                  ...(meta ? { SIP_META_HOST: meta.host, SIP_META_PORT: meta.port, SIP_META_TRANSPORT: meta.transport } : {}),
                },
              }
            : {}),
        });
  const running = worker?.run();

  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection, namespace: 'default', dataConverter: testDataConverter });
  // Ends the console's live streams on stop, so the server can close even if a browser is still connected.
  const stopping = new AbortController();
  const app = createApp({
    shutdown: stopping.signal,
    config: {
      HTTP_BODY_LIMIT_BYTES: 256 * 1024,
      TEMPORAL_TASK_QUEUE: taskQueue,
      CONVERSATION_IDLE_CLOSE_MS: 24 * 60 * 60 * 1000,
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
      WHATSAPP_API_BASE_URL: simulator.url,
      WHATSAPP_API_VERSION: 'v27.0',
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      WHATSAPP_REQUEST_TIMEOUT_MS: 2_000,
      WHATSAPP_BUSINESS_ACCOUNT_ID: WABA_ID,
      ...options.api,
    },
    store,
    temporal,
    logger: options.logger ?? createLogger('silent', 'api'),
    codecServer: { codec: new AesGcmPayloadCodec(testPayloadKeys), corsOrigins: ['http://localhost:8233'] },
    analytics: { workflowBundlePath: env.workflowBundlePath, ...(options.analyticsMaxRuns ? { maxRuns: options.analyticsMaxRuns } : {}) },
    ...limits,
  });
  const server: Server = await new Promise((resolve) => {
    const s = answerClientErrors(app.listen(0, '127.0.0.1', () => resolve(s)));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  simulator.setWebhookUrl(`${baseUrl}/webhooks/whatsapp`);
  // The agent key is issued to a registered agent, agent-1, serving the routing configuration's default queue.
  await registerAgent(store, { agentId: 'agent-1', name: 'Agent One', queues: ['default'] }, 'test rig');
  const keys = Object.fromEntries(
    await Promise.all(
      roles.map(async (role) => [role, (await issueApiKey(store, role, `${role}-1`, 'test rig', role === 'agent' ? 'agent-1' : undefined)).key] as const),
    ),
  ) as Record<Role, string>;

  async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${keys.integrator}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: tests look at the text
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed };
  }

  return {
    baseUrl,
    store,
    simulator,
    temporal,
    taskQueue,
    keys,
    request,
    requestAs: (role, method, path, body, headers = {}) => request(method, path, body, { authorization: `Bearer ${keys[role]}`, ...headers }),
    async approveTemplate(name, language = 'en_US', status = 'APPROVED', definition = { body: { text: `Hello, this is ${name}.` } }) {
      await upsertTemplate(store, { businessNumberId: BUSINESS_NUMBER_ID, name, language, category: 'utility', status, body: definition.body.text, definition, updatedAt: new Date() });
      // Later calls change our copy only, as if WhatsApp's webhook had said so: a campaign mid-flight keeps its template at WhatsApp.
      if (!simulator.templates().some((t) => t.name === name && t.language === language)) {
        simulator.seedTemplate({ wabaId: WABA_ID, name, language, category: 'UTILITY', status, parameterFormat: isNamed(definition) ? 'NAMED' : 'POSITIONAL', components: toCloudComponents(definition) });
      }
    },
    workerEnv: () => ({
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
      MONGODB_URL: mongoUrl,
      MONGODB_DB: dbName,
      WHATSAPP_API_BASE_URL: simulator.url,
      WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
      WHATSAPP_REQUEST_TIMEOUT_MS: '2000',
      WORKER_WORKFLOW_BUNDLE: env.workflowBundlePath,
      WORKER_SEND_LANE_REFRESH_MS: '1000',
      WHATSAPP_SEND_RATE_PER_SECOND: String(limits.limits.defaults.sendRatePerSecond),
      WHATSAPP_TEMPLATE_TIER: String(limits.limits.defaults.templateTier),
      WHATSAPP_NUMBER_LIMITS: JSON.stringify(limits.limits.overrides),
      WHATSAPP_CUSTOMER_PACING_MS: String(limits.limits.customerPacingMs),
      LOG_LEVEL: 'warn',
    }),
    async stop() {
      stopping.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      worker?.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await simulator.close();
      await store.db.dropDatabase();
      await store.close();
    },
  };
}
