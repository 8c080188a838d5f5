import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { ConversationStateName } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { pricingCategories } from '../store/messages.store';
import { codeOf, type AnalysisEngine, type CodeSource } from './fold.runs';
import { KpiAccumulator, type Kpis } from './kpi.aggregate';
import type { Timeline } from './timeline.build';

/**
 * What a process sends back for one run: its timeline when it was read cleanly and matched; why, for a history that
 * could not be read or replayed.
 */
export interface RunResult {
  /** Without its events, path and state spans, which the KPIs do not read. */
  timeline?: Timeline;
  matched: boolean;
  failure?: string;
}

/** What a process sends back: its runs, a batch at a time; then that it is done, or why it failed. */
export type ChildMessage = { kind: 'runs'; runs: RunResult[] } | { kind: 'done'; peakRssMb: number; cpuSeconds: number } | { kind: 'error'; message: string };

/** What a replay process is given: its share of the files, the engine, the prebuilt workflow bundle and the state asked for. */
export interface ChildTask {
  paths: string[];
  engine: AnalysisEngine;
  /** Absent for a fold given no code: a process bundles the workflows itself if a run needs the replayer. */
  bundlePath?: string;
  state?: ConversationStateName;
}

export interface ParallelOptions {
  /** Fold (the default) or replay; see `AnalysisEngine`. */
  engine?: AnalysisEngine;
  /** The workflow code to replay against (`loadWorkflowCode`'s), needed by `replay`; every process loads it from a file. */
  code?: CodeSource;
  /** Replay processes; the machine's cores by default. */
  processes?: number;
  state?: ConversationStateName | undefined;
  /** The service's payload keys (TEMPORAL_PAYLOAD_KEYS' format), for encrypted histories. */
  payloadKeys?: string | undefined;
  /** Told each process's peak resident memory (MB) and CPU time (user and system, s) when it is done. */
  onProcessDone?: (stats: { peakRssMb: number; cpuSeconds: number }) => void;
  /** Told of every run as it comes back, with a line saying why when it could not be read or replayed. */
  onRun?: (run: { failure?: string }) => void;
  /** Where pricing categories are read from, as `computeKpis` does; none without. */
  store?: Store | undefined;
}

/**
 * KPIs over exported history files, read by `processes` child processes at once (the fold, or Temporal's replayer,
 * runs one history at a time on one core). Files are dealt round robin, so long and short histories spread evenly;
 * each process streams its files through `analyzeRuns` and sends back its runs in batches, which this process adds
 * up as they come: memory stays flat in the number of files. The KPIs are the same as `computeKpis(analyzeRuns(...))`'s
 * (every figure is a sum or a percentile, so the order runs come back in does not matter). Rejects when a process
 * fails; a history that does not replay is a replay failure, as in one process.
 */
export async function kpisInParallel(paths: readonly string[], options: ParallelOptions): Promise<Kpis> {
  const count = Math.max(1, Math.min(options.processes ?? cpus().length, paths.length));
  const engine = options.engine ?? 'fold';
  // The replayer needs the code in every process; a fold only for a run it hands to the replayer (rare), so it is
  // not bundled up front for one.
  if (engine === 'replay' && !options.code) throw new Error('the replay engine needs the workflow code');
  const code = engine === 'replay' || (options.code && typeof options.code !== 'function') ? await codeOf(options.code!) : undefined;
  // Code bundled in memory is written once for the processes to load, and removed after.
  const work = code && 'code' in code ? mkdtempSync(join(tmpdir(), 'wa-analyst-')) : undefined;
  const bundlePath = code && ('code' in code ? join(work!, 'workflow-bundle.js') : code.codePath);
  if (code && 'code' in code) writeFileSync(bundlePath!, code.code);
  try {
    return await replayInProcesses(paths, count, { engine, ...(bundlePath ? { bundlePath } : {}) }, options);
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

async function replayInProcesses(paths: readonly string[], count: number, how: Pick<ChildTask, 'engine' | 'bundlePath'>, options: ParallelOptions): Promise<Kpis> {
  const kpis = new KpiAccumulator();
  const { store } = options;
  if (store) kpis.addPricing([]);
  const pricing: Promise<void>[] = [];
  const childPath = join(__dirname, `replay.child${extname(__filename)}`);
  // Run from source (tsx, a test runner), the child needs a TypeScript loader; the built tool is JavaScript.
  const loader = extname(__filename) === '.ts' && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : [];
  await Promise.all(
    Array.from({ length: count }, (_, k) => {
      const task: ChildTask = { paths: paths.filter((_, i) => i % count === k), ...how, ...(options.state ? { state: options.state } : {}) };
      const child = fork(childPath, [], {
        execArgv: [...process.execArgv, ...loader],
        env: { ...process.env, ...(options.payloadKeys ? { TEMPORAL_PAYLOAD_KEYS: options.payloadKeys } : {}) },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      return new Promise<void>((done, fail) => {
        let finished = false;
        child.on('message', (message: ChildMessage) => {
          if (message.kind === 'runs') {
            for (const run of message.runs) {
              options.onRun?.(run.failure ? { failure: run.failure } : {});
              if (run.timeline) {
                kpis.add(run.timeline);
                if (store) pricing.push(pricingCategories(store, run.timeline.outboundMessageIds).then((c) => kpis.addPricing(c)));
              } else if (run.matched) kpis.addReplayFailure();
            }
          } else if (message.kind === 'done') {
            finished = true;
            options.onProcessDone?.({ peakRssMb: message.peakRssMb, cpuSeconds: message.cpuSeconds });
            child.disconnect();
          } else {
            finished = true;
            fail(new Error(`replay process ${k + 1} of ${count}: ${message.message}`));
            child.kill();
          }
        });
        child.once('exit', (code, signal) => (finished ? done() : fail(new Error(`replay process ${k + 1} of ${count} exited (${signal ?? code}) before it finished`))));
        child.send(task);
      });
    }),
  );
  await Promise.all(pricing);
  return kpis.result();
}
