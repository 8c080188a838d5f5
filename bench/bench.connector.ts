/**
 * The connector under benchmark: the API and the worker as child processes behind their probes (bench/*.probe.ts),
 * and the load generator's signed webhooks to it.
 */
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { inboundTextWebhook, signBody } from '../simulator/cloud-api.payloads';
import { findFreePort } from '../scripts/dev-servers';
import { BENCH_PAYLOAD_KEYS, BUSINESS, SECRET, root, waitFor, type BenchStack } from './bench.support';
import { askProbe } from './probe.ipc';

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

/**
 * The API (bin/api.ts) and a worker (bin/worker.ts), each behind a probe (bench/*.probe.ts) and `node --import tsx` so a signal reaches it.
 * `BENCH_CHILD_NODE_ARGS` adds node flags to both (space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: Node refuses
 * `--cpu-prof` in NODE_OPTIONS).
 */
async function startConnector(env: Record<string, string>): Promise<Connector> {
  const port = await findFreePort();
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const childEnv = { ...process.env, TEMPORAL_PAYLOAD_KEYS: BENCH_PAYLOAD_KEYS, ...env, HTTP_PORT: String(port), WHATSAPP_APP_SECRET: SECRET, WHATSAPP_VERIFY_TOKEN: 'bench', LOG_LEVEL: 'warn' };
  // Each counts its store commands (bench/store.probe.ts) and answers when asked over its IPC channel.
  const api = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, 'bench/api.probe.ts')], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const worker = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, 'bench/worker.probe.ts')], {
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

