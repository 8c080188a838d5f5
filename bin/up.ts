/**
 * `npm start`: the whole service on one machine. Starts what no address was given for (the Temporal dev server,
 * FerretDB, the broker simulator), then the worker and the API, and prints where each listens. Ctrl-C stops it all.
 */
import { answerClientErrors } from '../api/client-errors';
import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp, templateServiceFor } from '../api/app';
import { startTemplateSync } from '../services/template-sync';
import { devApiKeys } from './dev-api-keys';
import { loadConfig, loadEmbeddedPlan } from '../lib/config';
import { AesGcmPayloadCodec, dataConverterFor, logHashKeyFrom } from '../lib/payload-codec';
import { devPayloadKeys } from './dev-payload-keys';
import { startFerretDb, startTemporalDevServer } from '../scripts/dev-servers';
import { forgetServer, recordServer, stopOrphans } from '../scripts/orphans';
import { createLogger } from '../lib/logger';
import { messagingLimitsFrom } from '../lib/messaging-limits';
import { createConversationWorker, workerOptionsFrom } from '../worker/worker';
import { installSdkMetrics } from '../worker/observability';
import { clientInterceptors, startTracing } from '../lib/tracing';
import { matchNamespaceRetention } from '../worker/retention-schedule';
import { startBrokerSimulator } from '../simulator/broker-simulator';
import { connectStore } from '../store/db';

const stops: (() => Promise<unknown>)[] = [];

async function main(): Promise<void> {
  const plan = loadEmbeddedPlan();
  const dataDir = resolve(plan.DATA_DIR);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const env: Record<string, string | undefined> = { ...process.env };
  const lines: [string, string][] = [];
  // Servers a crashed start left running (SIGKILL, a closed terminal) hold this .data's ports and files: stop ours.
  const serversDir = join(dataDir, 'servers');
  for (const line of await stopOrphans(serversDir)) console.log(line);
  const record = (name: string) => (server: { pid: number; argv: string[] }) => recordServer(serversDir, name, server.pid, server.argv);

  if (!plan.TEMPORAL_ADDRESS) {
    mkdirSync(join(dataDir, 'temporal'), { recursive: true });
    const temporal = await startTemporalDevServer({
      port: plan.EMBEDDED_TEMPORAL_PORT,
      uiPort: plan.EMBEDDED_TEMPORAL_UI_PORT,
      dbFile: join(dataDir, 'temporal', 'dev.db'),
      sqlitePragmas: plan.EMBEDDED_TEMPORAL_SQLITE_PRAGMAS,
      logFile: join(logDir, 'temporal.log'),
      onSpawned: record('temporal'),
    });
    stops.push(() => temporal.stop().then(() => forgetServer(serversDir, 'temporal')));
    env.TEMPORAL_ADDRESS = temporal.address;
    lines.push(['Temporal (dev server)', temporal.address], ['Temporal Web UI', temporal.uiUrl ?? '(headless)']);
  }
  if (!plan.MONGODB_URL) {
    const ferret = await startFerretDb({ port: plan.EMBEDDED_FERRETDB_PORT, dataDir: join(dataDir, 'ferretdb'), logFile: join(logDir, 'ferretdb.log'), onSpawned: record('ferretdb') });
    stops.push(() => ferret.stop().then(() => forgetServer(serversDir, 'ferretdb')));
    env.MONGODB_URL = ferret.url;
    lines.push(['MongoDB wire (FerretDB/SQLite)', ferret.url]);
  }
  const httpPort = env.HTTP_PORT ?? '3000';
  if (!plan.WHATSAPP_API_BASE_URL) {
    env.WHATSAPP_ACCESS_TOKEN ??= 'dev-token';
    env.WHATSAPP_APP_SECRET ??= 'dev-app-secret';
    env.WHATSAPP_VERIFY_TOKEN ??= 'dev-verify-token';
    env.WHATSAPP_BUSINESS_ACCOUNT_ID ??= '102290129340398';
    const simulator = await startBrokerSimulator({
      port: plan.EMBEDDED_SIMULATOR_PORT,
      accessToken: env.WHATSAPP_ACCESS_TOKEN,
      appSecret: env.WHATSAPP_APP_SECRET,
      webhookUrl: `http://127.0.0.1:${httpPort}/webhooks/whatsapp`,
      autoApproveTemplatesAfterMs: 3_000,
      // Free-form sends past the window fail with 131047 for users the simulator delivered from, never for those whose
      // webhooks were posted straight to the connector (README "The simulator's customer service window").
      enforceServiceWindow: 'known-users',
      // WhatsApp's side survives a restart as the connector's store does: templates and their statuses (README).
      stateDir: join(dataDir, 'simulator'),
    });
    stops.push(() => simulator.close());
    env.WHATSAPP_API_BASE_URL = simulator.url;
    lines.push(['WhatsApp broker simulator', simulator.url]);
    // The simulator plays Meta's SIP server too: business-initiated calls go to it, not to wa.meta.vc, unless told.
    if (!env.SIP_META_HOST) {
      const metaSip = await simulator.sip.address();
      Object.assign(env, { SIP_META_HOST: metaSip.host, SIP_META_PORT: String(metaSip.port), SIP_META_TRANSPORT: metaSip.transport });
      lines.push(["Meta's SIP server (simulator)", `sip:${metaSip.host}:${metaSip.port};transport=${metaSip.transport}`]);
    }
  }

  if (!env.TEMPORAL_PAYLOAD_KEYS) {
    // A local run keeps one generated key, so its histories stay readable from one start to the next.
    const keysFile = join(dataDir, 'dev-payload-keys');
    env.TEMPORAL_PAYLOAD_KEYS = devPayloadKeys(keysFile);
    lines.push(['Payload keys (TEMPORAL_PAYLOAD_KEYS)', shortPath(keysFile)]);
  }
  const config = loadConfig(env);
  const logger = createLogger(config.LOG_LEVEL, 'connector', undefined, logHashKeyFrom(config.TEMPORAL_PAYLOAD_KEYS));
  const store = await connectStore(config.MONGODB_URL, config.MONGODB_DB);
  stops.push(() => store.close());

  // The SDK's own worker metrics, served with ours at the API's /metrics (one process here).
  const sdkMetricsUrl = await installSdkMetrics();
  const tracing = startTracing('whatsapp-connector', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (tracing) stops.push(() => tracing.shutdown());
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createConversationWorker(workerOptionsFrom(config, { connection: nativeConnection, store, logger, ...(tracing ? { tracing } : {}) }));
  const workerRun = worker.run();
  stops.push(async () => {
    // The SDK already begins a graceful shutdown on SIGINT/SIGTERM; ask only if it has not.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await nativeConnection.close();
  });

  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(config.TEMPORAL_PAYLOAD_KEYS), interceptors: clientInterceptors(tracing) });
  // Aborted on stop: the console's live streams end, so the server can close.
  const stopping = new AbortController();
  // Our own dev server: closed histories are kept as long as the store keeps the messages they carry.
  if (!plan.TEMPORAL_ADDRESS) await matchNamespaceRetention(temporal, config.RETENTION_DAYS);
  const server = answerClientErrors(createApp({ config, store, temporal, logger, codecServer: { codec: new AesGcmPayloadCodec(config.TEMPORAL_PAYLOAD_KEYS), corsOrigins: config.TEMPORAL_CODEC_CORS_ORIGINS }, shutdown: stopping.signal, analytics: { maxRuns: config.ANALYTICS_MAX_RUNS }, limits: messagingLimitsFrom(config), sdkMetricsUrl }).listen(config.HTTP_PORT, config.HTTP_HOST));
  await new Promise<void>((ready, fail) => server.once('listening', ready).once('error', fail));
  stops.push(() =>
    new Promise((done) => {
      stopping.abort();
      server.close(done);
    }).then(() => connection.close()),
  );
  const stopSync = startTemplateSync(templateServiceFor({ config, store, logger }), config.TEMPLATE_SYNC_INTERVAL_MS, logger);
  stops.push(async () => stopSync());

  lines.unshift(
    ['HTTP API', `http://${config.HTTP_HOST}:${config.HTTP_PORT}  (OpenAPI at /openapi.json, Prometheus at /metrics)`],
    ['Web console', `http://${config.HTTP_HOST}:${config.HTTP_PORT}/console/`],
  );
  lines.push(['Webhook endpoint', `http://${config.HTTP_HOST}:${config.HTTP_PORT}/webhooks/whatsapp`], ['Data', dataDir]);
  const width = Math.max(...lines.map(([name]) => name.length));
  console.log(`\nWhatsApp connector is up (task queue ${config.TEMPORAL_TASK_QUEUE}):`);
  for (const [name, where] of lines) console.log(`  ${name.padEnd(width)}  ${where}`);
  if (!plan.MONGODB_URL) {
    // Embedded store only: a local demo needs keys, and nobody else can reach this FerretDB.
    const keysFile = join(dataDir, 'dev-api-keys.json');
    const keys = await devApiKeys(store, keysFile);
    console.log(`\nAPI keys for local use (kept in ${shortPath(keysFile)}; send as "Authorization: Bearer <key>"):`);
    for (const [role, key] of Object.entries(keys)) console.log(`  ${role.padEnd(width)}  ${key}`);
  }
  console.log('\nPress Ctrl-C to stop everything started here.\n');
}

let stopping = false;
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Should a stop hang, exit anyway: the exit hook of scripts/dev-servers.ts SIGKILLs the servers' process groups.
  setTimeout(() => process.exit(code), 30_000).unref();
  for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(err));
  process.exit(code);
}

// `on`, not `once`: Ctrl-C reaches this process twice (from the terminal, and relayed by npm and tsx), and a second
// signal with no handler would kill it mid-stop, before the servers it started (the last to stop) were stopped.
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  void stopAll(1);
});

/** A path as short as it reads: relative when inside the working directory, absolute otherwise (DATA_DIR=/tmp/…). */
function shortPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside.startsWith('..') ? path : inside;
}
