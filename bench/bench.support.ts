/**
 * What the benchmarks share: their own Temporal dev server (persisted, so its disk can be measured) and FerretDB, or
 * the ones given (the connector's API and worker, and signed webhooks to it, are in bench/bench.connector.ts);
 * statistics; and the run's header and JSON result (bench/bench.results.ts), so every figure says on what machine, code and day it was taken.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Db } from 'mongodb';
import { percentile } from '../analytics/kpi.aggregate';
import { startFerretDb, startTemporalDevServer, type RunningServer } from '../scripts/dev-servers';
import { dataConverterFor, newPayloadKeyEntry, parsePayloadKeys } from '../lib/payload-codec';
import { loadEmbeddedPlan } from '../lib/config';

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
