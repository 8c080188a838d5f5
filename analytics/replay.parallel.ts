import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { ConversationStateName } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { pricingCategories } from '../store/messages.store';
import type { WorkflowCode } from './history.replay';
import { KpiAccumulator, type Kpis } from './kpi.aggregate';
import type { Timeline } from './timeline.build';

/**
 * What a replay process sends back for one run: its timeline when it replayed cleanly and matched; why, for a
 * history that could not be read or replayed.
 */
export type ChildMessage = { kind: 'run'; timeline?: Timeline; matched: boolean; failure?: string } | { kind: 'done'; peakRssMb: number } | { kind: 'error'; message: string };

/** What a replay process is given: its share of the files, the prebuilt workflow bundle and the state asked for. */
export interface ChildTask {
  paths: string[];
  bundlePath: string;
  state?: ConversationStateName;
}

export interface ParallelOptions {
  /** The workflow code to replay against (`loadWorkflowCode`'s); every process loads it from a file. */
  code: WorkflowCode;
  /** Replay processes; the machine's cores by default. */
  processes?: number;
  state?: ConversationStateName | undefined;
  /** The service's payload keys (TEMPORAL_PAYLOAD_KEYS' format), for encrypted histories. */
  payloadKeys?: string | undefined;
  /** Told each process's peak resident memory (MB) when it is done. */
  onProcessDone?: (stats: { peakRssMb: number }) => void;
  /** Told of every run as it comes back, with a line saying why when it could not be read or replayed. */
  onRun?: (run: { failure?: string }) => void;
  /** Where pricing categories are read from, as `computeKpis` does; none without. */
  store?: Store | undefined;
}

/**
 * KPIs over exported history files, replayed by `processes` child processes at once (Temporal's replayer runs one
 * history at a time on one core). Files are dealt round robin, so long and short histories spread evenly; each
 * process streams its files through the replayer and sends back one timeline per run, which this process adds up
 * at once: memory stays flat in the number of files. The KPIs are the same as `computeKpis(analyzeRuns(...))`'s
 * (every figure is a sum or a percentile, so the order runs come back in does not matter). Rejects when a process
 * fails; a history that does not replay is a replay failure, as in one process.
 */
export async function kpisInParallel(paths: readonly string[], options: ParallelOptions): Promise<Kpis> {
  const count = Math.max(1, Math.min(options.processes ?? cpus().length, paths.length));
  // Code bundled in memory is written once for the processes to load, and removed after.
  const work = 'code' in options.code ? mkdtempSync(join(tmpdir(), 'wa-analyst-')) : undefined;
  const bundlePath = 'code' in options.code ? join(work!, 'workflow-bundle.js') : options.code.codePath;
  if ('code' in options.code) writeFileSync(bundlePath, options.code.code);
  try {
    return await replayInProcesses(paths, count, bundlePath, options);
  } finally {
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

async function replayInProcesses(paths: readonly string[], count: number, bundlePath: string, options: ParallelOptions): Promise<Kpis> {
  const kpis = new KpiAccumulator();
  const { store } = options;
  if (store) kpis.addPricing([]);
  const pricing: Promise<void>[] = [];
  const childPath = join(__dirname, `replay.child${extname(__filename)}`);
  // Run from source (tsx, a test runner), the child needs a TypeScript loader; the built tool is JavaScript.
  const loader = extname(__filename) === '.ts' && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : [];
  await Promise.all(
    Array.from({ length: count }, (_, k) => {
      const task: ChildTask = { paths: paths.filter((_, i) => i % count === k), bundlePath, ...(options.state ? { state: options.state } : {}) };
      const child = fork(childPath, [], {
        execArgv: [...process.execArgv, ...loader],
        env: { ...process.env, ...(options.payloadKeys ? { TEMPORAL_PAYLOAD_KEYS: options.payloadKeys } : {}) },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      return new Promise<void>((done, fail) => {
        let finished = false;
        child.on('message', (message: ChildMessage) => {
          if (message.kind === 'run') {
            options.onRun?.(message.failure ? { failure: message.failure } : {});
            if (message.timeline) {
              kpis.add(message.timeline);
              if (store) pricing.push(pricingCategories(store, message.timeline.outboundMessageIds).then((c) => kpis.addPricing(c)));
            } else if (message.matched) kpis.addReplayFailure();
          } else if (message.kind === 'done') {
            finished = true;
            options.onProcessDone?.({ peakRssMb: message.peakRssMb });
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
