/**
 * What the benchmarks share: their own Temporal dev server (persisted, so its disk can be measured) and FerretDB, or
 * the ones given; the connector's API and worker as child processes; signed webhooks; statistics; and the run's
 * header and JSON result (bench/bench.results.ts), so every figure says on what machine, code and day it was taken.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Db } from 'mongodb';
import { percentile } from '../analytics/kpi.aggregate';
import { findFreePort, startFerretDb, startTemporalDevServer, type RunningServer } from '../scripts/dev-servers';
import { inboundTextWebhook, signBody } from '../simulator/cloud-api.payloads';
import { dataConverterFor, newPayloadKeyEntry, parsePayloadKeys } from '../lib/payload-codec';
import { loadEmbeddedPlan } from '../lib/config';
import { askProbe } from './probe.ipc';

export { saveResult, startRun, type RunInfo } from './bench.results';

export const root = resolve(__dirname, '..');
export const BUSINESS = '106540352242922';
export const SECRET = 'bench-secret';
/** One payload key per benchmark run: the connector encrypts as in production, the bench's own clients decrypt. */
export const BENCH_PAYLOAD_KEYS = newPayloadKeyEntry('bench');
export const benchDataConverter = dataConverterFor(parsePayloadKeys(BENCH_PAYLOAD_KEYS));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round1 = (n: number) => Math.round(n * 10) / 10;
/** The analysts' percentile (interpolated), on a copy; NaN when there is nothing to measure. */
export const quantile = (values: readonly number[], q: number) => percentile([...values], q) ?? NaN;
export const median = (values: number[]) => quantile(values, 0.5);

/** Said next to every figure: nothing here runs on a machine of its own. */
export const machine = () =>
  `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); the load generator, API, worker, Temporal dev server and FerretDB all share them`;

/** Runs a benchmark's `main`, printing what failed and exiting non-zero (nothing else catches a benchmark's error). */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

/** The median, in ms rounded to 0.1, of `ops` calls of `work` made one after another. */
export async function timeMedian(ops: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < ops; i += 1) {
    const started = performance.now();
    await work(i);
    ms.push(performance.now() - started);
  }
  return round1(median(ms));
}

/**
 * The store at MONGODB_URL, or a FerretDB 1.24 (SQLite) of the benchmark's own in a temporary folder; `stop` stops
 * what was started here and removes its folder. Says on stderr which it uses.
 */
export async function benchStore(name: string): Promise<{ url: string; stop(): Promise<void> }> {
  const given = process.env.MONGODB_URL;
  process.stderr.write(`bench: store ${given ? 'at MONGODB_URL' : 'FerretDB 1.24 (SQLite) started here'}\n`);
  if (given) return { url: given, stop: async () => undefined };
  const work = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const ferret = await startFerretDb({ dataDir: join(work, 'ferretdb'), logFile: join(work, 'ferretdb.log') });
  return {
    url: ferret.url,
    async stop() {
      await ferret.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Bytes under a file or folder (SQLite keeps a -wal and -shm beside its file, so sum by prefix when asked). */
export function diskBytes(path: string, prefix?: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path)
    .filter((name) => prefix === undefined || name.startsWith(prefix))
    .reduce((sum, name) => sum + diskBytes(join(path, name)), 0);
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(everyMs);
  }
}

/** `count` jobs, `concurrency` at a time, as fast as they go. */
export async function closedLoop(count: number, work: (i: number) => Promise<void>, concurrency = 64): Promise<{ perSecond: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await work(i).catch(() => void (errors += 1));
      }
    }),
  );
  return { perSecond: (count * 1000) / (performance.now() - start), errors };
}

export interface BenchStack {
  temporalAddress: string;
  mongoUrl: string;
  /** Process ids of the servers started here (absent for a server given), for their CPU time. */
  pids: { temporal?: number; store?: number };
  /** FerretDB's data folder (empty when the store was given); the dev server's files are `temporal.db*` in `work`. */
  ferretDir: string;
  stop(): Promise<void>;
}

/**
 * A persisted Temporal dev server and a FerretDB of the benchmark's own, under `work`; a server whose address is
 * `given` is used instead of started. By default `given` is the environment (TEMPORAL_ADDRESS, MONGODB_URL), so
 * every benchmark can measure another store or cluster; it says on stderr which it uses.
 */
export async function startStack(
  work: string,
  given: { temporalAddress?: string | undefined; mongoUrl?: string | undefined } = { temporalAddress: process.env.TEMPORAL_ADDRESS, mongoUrl: process.env.MONGODB_URL },
): Promise<BenchStack> {
  // As `npm start` runs it (EMBEDDED_TEMPORAL_SQLITE_PRAGMAS, the same default), so one setting can be measured against another.
  const sqlitePragmas = loadEmbeddedPlan({ EMBEDDED_TEMPORAL_SQLITE_PRAGMAS: process.env.EMBEDDED_TEMPORAL_SQLITE_PRAGMAS }).EMBEDDED_TEMPORAL_SQLITE_PRAGMAS;
  process.stderr.write(
    `bench: Temporal ${given.temporalAddress ? `at ${given.temporalAddress} (TEMPORAL_ADDRESS)` : `dev server started here (SQLite ${sqlitePragmas.join(', ') || 'defaults'})`}; ` +
      `store ${given.mongoUrl ? 'at MONGODB_URL' : 'FerretDB 1.24 (SQLite) started here'}\n`,
  );
  const ferretDir = given.mongoUrl ? '' : join(work, 'ferretdb');
  const [temporal, ferret] = await Promise.all([
    given.temporalAddress ? undefined : startTemporalDevServer({ uiPort: false, dbFile: join(work, 'temporal.db'), sqlitePragmas, logFile: join(work, 'temporal.log') }),
    given.mongoUrl ? undefined : startFerretDb({ dataDir: ferretDir, logFile: join(work, 'ferretdb.log') }),
  ]);
  const servers: RunningServer[] = [];
  if (temporal) servers.push(temporal);
  if (ferret) servers.push(ferret);
  return {
    temporalAddress: temporal?.address ?? given.temporalAddress!,
    mongoUrl: ferret?.url ?? given.mongoUrl!,
    ferretDir,
    pids: { ...(temporal ? { temporal: temporal.pid } : {}), ...(ferret ? { store: ferret.pid } : {}) },
    stop: async () => void (await Promise.all(servers.map((s) => s.stop()))),
  };
}

/** What bench/store.probe.ts writes: commands sent, by command and collection, and the ms they took in all. */
export interface ProbeCounts {
  counts: Record<string, number>;
  ms: Record<string, number>;
}

export interface Connector {
  webhookUrl: string;
  /** The API's base URL (`http://127.0.0.1:port`). */
  apiUrl: string;
  /** Process ids of the API and the worker, for their CPU time. */
  pids: { api: number; worker: number };
  /** The store commands each has sent so far, by command and collection (bench/store.probe.ts). */
  storeCommands(): Promise<{ API: Record<string, number>; worker: Record<string, number> }>;
  /** The same commands with the milliseconds they took in all, send to answer (bench/store.probe.ts). */
  storeCommandTimes(): Promise<{ API: ProbeCounts; worker: ProbeCounts }>;
  /** The API's event-loop delay, one sample per second since `since` (epoch ms; bench/loop.probe.ts). */
  apiEventLoop(since: number): Promise<LoopSample[]>;
  /** The worker's latest `process.memoryUsage()` (bench/worker.probe.ts reports it every second). */
  workerMemory(): NodeJS.MemoryUsage | undefined;
  /** The largest RSS the worker reported. */
  workerPeakRss(): number;
  stop(): void;
}

/** One second of the API's event-loop delay (bench/loop.probe.ts), ms. */
export interface LoopSample {
  at: number;
  meanMs: number;
  p99Ms: number;
  maxMs: number;
}

/** The API (bin/api.ts) and a worker (bin/worker.ts), each behind a probe (bench/*.probe.ts) and `node --import tsx` so a signal reaches it. */
async function startConnector(env: Record<string, string>): Promise<Connector> {
  const port = await findFreePort();
  const childEnv = { ...process.env, TEMPORAL_PAYLOAD_KEYS: BENCH_PAYLOAD_KEYS, ...env, HTTP_PORT: String(port), WHATSAPP_APP_SECRET: SECRET, WHATSAPP_VERIFY_TOKEN: 'bench', LOG_LEVEL: 'warn' };
  // Each counts its store commands (bench/store.probe.ts) and answers when asked over its IPC channel.
  const api = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/api.probe.ts')], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const worker = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/worker.probe.ts')], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  for (const child of [api, worker]) child.channel?.unref();
  const storeCommandTimes = async () => {
    const read = async (child: typeof api) => {
      const { counts, ms } = await askProbe<ProbeCounts>(child, 'store');
      return { counts, ms };
    };
    const [fromApi, fromWorker] = await Promise.all([read(api), read(worker)]);
    return { API: fromApi, worker: fromWorker };
  };
  let memory: NodeJS.MemoryUsage | undefined;
  let peak = 0;
  worker.on('message', (m: { memory?: NodeJS.MemoryUsage }) => {
    if (!m?.memory) return;
    memory = m.memory;
    peak = Math.max(peak, m.memory.rss);
  });
  await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok), 60_000);
  return {
    webhookUrl: `http://127.0.0.1:${port}/webhooks/whatsapp`,
    apiUrl: `http://127.0.0.1:${port}`,
    pids: { api: api.pid!, worker: worker.pid! },
    async storeCommands() {
      const { API, worker } = await storeCommandTimes();
      return { API: API.counts, worker: worker.counts };
    },
    storeCommandTimes,
    async apiEventLoop(since: number) {
      const { samples } = await askProbe<{ samples: LoopSample[] }>(api, 'loop');
      return samples.filter((s) => s.at > since);
    },
    workerMemory: () => memory,
    workerPeakRss: () => peak,
    stop() {
      api.kill('SIGTERM');
      worker.kill('SIGTERM');
    },
  };
}

/**
 * The connector on `stack` for a benchmark that only takes webhooks: a database and task queue of its own (named
 * after `name`), and a broker address nothing listens on, since nothing is sent.
 */
export async function startIngestConnector(stack: BenchStack, name: string, env: Record<string, string> = {}): Promise<{ connector: Connector; dbName: string; taskQueue: string }> {
  const dbName = `${name}_${Date.now()}`;
  const taskQueue = `${name}-${Date.now()}`;
  const connector = await startConnector({
    TEMPORAL_ADDRESS: stack.temporalAddress,
    MONGODB_URL: stack.mongoUrl,
    MONGODB_DB: dbName,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WHATSAPP_API_BASE_URL: 'http://127.0.0.1:9',
    WHATSAPP_ACCESS_TOKEN: 'bench',
    ...env,
  });
  return { connector, dbName, taskQueue };
}

/**
 * The load generator's connections to the webhook: kept alive, as Meta's are. `node:http` rather than `fetch`
 * (undici), which cost the load generator about 0.4 CPU-ms more per webhook on these two cores, which the connector
 * under test needs (the load generator stands in for Meta, whose CPU is not ours).
 */
const webhookAgent = new Agent({ keepAlive: true });

/** Posts a webhook body signed with the bench's app secret; resolves with the status and the ms until the answer's last byte. */
export function postWebhook(url: string, raw: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const body = Buffer.from(raw);
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', agent: webhookAgent, headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-hub-signature-256': signBody(raw, SECRET) } }, (response) => {
      response.on('data', () => undefined);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Posts one signed customer text message; resolves with the acknowledgement time, throws unless it was a 200. */
export async function postInbound(url: string, message: { from: string; wamid: string; text: string; timestamp?: number }): Promise<number> {
  const { status, ms } = await postWebhook(url, JSON.stringify(inboundTextWebhook({ phoneNumberId: BUSINESS, ...message })));
  if (status !== 200) throw new Error(`webhook answered ${status}`);
  return ms;
}

/**
 * When customer messages were received (`messages.createdAt`) and handled by their conversation (the
 * `inbound_handled` marker), read by `_id` look-ups only: FerretDB answers a count or an `$in` with a table scan,
 * which would compete with the connector for the same cores.
 */
export function handledMessages(db: Db) {
  const messages = db.collection<{ _id: string; createdAt: Date }>('messages');
  const markers = db.collection<{ _id: string; at: Date }>('inbound_handled');
  const timing = async (id: string): Promise<{ createdAt: Date; handledAt: Date } | undefined> => {
    const marker = await markers.findOne({ _id: id });
    const doc = marker ? await messages.findOne({ _id: id }) : null;
    return marker && doc ? { createdAt: doc.createdAt, handledAt: marker.at } : undefined;
  };
  return {
    timing,
    isHandled: async (id: string) => (await markers.findOne({ _id: id })) !== null,
    /** The timings of those handled, in the order given. */
    async timings(ids: string[]): Promise<{ createdAt: Date; handledAt: Date }[]> {
      const found = [];
      for (const id of ids) {
        const t = await timing(id);
        if (t) found.push(t);
      }
      return found;
    },
    /** Waits until all are handled, walking forward through them. */
    async waitAll(ids: string[], timeoutMs: number): Promise<void> {
      let next = 0;
      await waitFor(
        async () => {
          while (next < ids.length && (await markers.findOne({ _id: ids[next]! })) !== null) next += 1;
          return next === ids.length;
        },
        timeoutMs,
        500,
      );
    },
  };
}
