/**
 * `npm run bench:replay`: how fast exported conversation histories become timelines and KPIs (what
 * `wa-analyst kpi --dir` does), and how much memory it needs, for 1,000 and 10,000 histories.
 *
 * The histories are synthesized from the real ones recorded by the workflow tests (bench/replay.histories.ts). Each
 * measurement runs in a child process of its own, so its peak memory (maxRSS) is its own; the figures are medians
 * over the rounds.
 *
 * `--mode fold,replay` measures both engines (analytics/fold.runs.ts: folding the events through the pure machine,
 * the default, or Temporal's replayer); `--processes 1,2` measures each with one process (`computeKpis(analyzeRuns(...))`,
 * what `wa-analyst kpi` does) and with that many (`kpisInParallel`, analytics/replay.parallel.ts), in the same run.
 * Every way must give the same KPIs, byte for byte, or the run stops. Peak memory with several processes is the sum
 * of their peaks.
 *
 * Options: --sizes 1000,10000  --rounds 3  --processes 1,2  --mode fold,replay  --label latest
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeRuns, computeKpis } from '../analytics/analytics.pipeline';
import { historiesFromFiles } from '../analytics/history.source';
import { kpisInParallel } from '../analytics/replay.parallel';
import type { AnalysisEngine } from '../analytics/fold.runs';
import { runMain, saveResult, startRun } from './bench.support';
import { generateHistories } from './replay.histories';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    rounds: { type: 'string', default: '3' },
    processes: { type: 'string', default: '1,2' },
    mode: { type: 'string', default: 'fold,replay' },
    label: { type: 'string', default: 'latest' },
    child: { type: 'boolean', default: false },
    dir: { type: 'string' },
    bundle: { type: 'string' },
  },
});
const root = resolve(__dirname, '..');

interface Measurement {
  mode: AnalysisEngine;
  processes: number;
  /** The KPIs as JSON: every way of replaying must give the same. */
  kpis: string;
  histories: number;
  seconds: number;
  historiesPerSecond: number;
  /** CPU time (user and system) of every process taking part, start-up included, per history: what the load does not change. */
  cpuMsPerHistory: number;
  peakRssMb: number;
}

/** One way of reading one size, over its rounds. */
interface Summary {
  mode: AnalysisEngine;
  histories: number;
  processes: number;
  rounds: number;
  medianHistoriesPerSecond: number;
  medianSeconds: number;
  medianPeakRssMb: number;
  medianCpuMsPerHistory: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The child: replay every history in `dir` with `processes` processes, build KPIs, report throughput and peak memory. */
async function child(dir: string, bundlePath: string, processes: number, mode: AnalysisEngine): Promise<void> {
  // The replayer's package is loaded only to replay, as `wa-analyst` does: a fold process never holds it.
  if (mode === 'replay') (await import('../analytics/history.replay')).quietTemporalRuntime();
  const code = { codePath: bundlePath };
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
  let replayersPeakMb = 0;
  let replayersCpuSeconds = 0;
  const started = process.hrtime.bigint();
  const kpis =
    processes === 1
      ? await computeKpis(analyzeRuns(historiesFromFiles(files), code, undefined, undefined, mode))
      : await kpisInParallel(files, { engine: mode, code: { codePath: bundlePath }, processes, onProcessDone: (s) => {
          replayersPeakMb += s.peakRssMb;
          replayersCpuSeconds += s.cpuSeconds;
        } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const usage = process.resourceUsage();
  if (kpis.runs !== files.length) throw new Error(`replayed ${kpis.runs} of ${files.length} histories (${kpis.replayFailures} failed)`);
  const measurement: Measurement = {
    mode,
    processes,
    kpis: JSON.stringify(kpis),
    histories: files.length,
    seconds,
    historiesPerSecond: files.length / seconds,
    cpuMsPerHistory: (((usage.userCPUTime + usage.systemCPUTime) / 1e6 + replayersCpuSeconds) * 1000) / files.length,
    // With several processes this one only adds up: its peak and theirs, as if they all peaked at once.
    peakRssMb: usage.maxRSS / 1024 + replayersPeakMb,
  };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

async function main(): Promise<void> {
  const run = startRun('replay', args.label);
  const sizes = args.sizes.split(',').map(Number);
  const processCounts = args.processes.split(',').map(Number);
  const modes = args.mode.split(',') as AnalysisEngine[];
  for (const mode of modes) if (mode !== 'fold' && mode !== 'replay') throw new Error(`--mode: fold or replay, not ${mode}`);
  const rounds = Number(args.rounds);
  const work = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  try {
    const bundlePath = join(work, 'workflow-bundle.js');
    const { loadWorkflowCode } = await import('../analytics/history.replay');
    const code = await loadWorkflowCode();
    writeFileSync(bundlePath, 'code' in code ? code.code : readFileSync(code.codePath, 'utf8'));
    const results: Summary[] = [];
    for (const size of sizes) {
      const dir = join(work, `h${size}`);
      process.stderr.write(`generating ${size} histories…\n`);
      generateHistories(dir, size);
      let kpis: string | undefined;
      for (const mode of modes) for (const processes of processCounts) {
        const runs: Measurement[] = [];
        for (let round = 1; round <= rounds; round += 1) {
          const argv = [require.resolve('tsx/cli'), __filename, '--child', '--dir', dir, '--bundle', bundlePath, '--processes', String(processes), '--mode', mode];
          const spawned = spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
          if (spawned.status !== 0) throw new Error(`child failed: ${spawned.stderr}`);
          const measurement = JSON.parse(spawned.stdout.trim().split('\n').pop()!) as Measurement;
          process.stderr.write(`  ${size} histories, ${mode}, ${processes} process(es), round ${round}: ${measurement.historiesPerSecond.toFixed(0)}/s, ${measurement.cpuMsPerHistory.toFixed(2)} CPU ms each, peak RSS ${measurement.peakRssMb.toFixed(0)} MB\n`);
          kpis ??= measurement.kpis;
          if (measurement.kpis !== kpis) throw new Error(`${mode} with ${processes} process(es) gave other KPIs than the first way:\n${kpis}\n${measurement.kpis}`);
          runs.push(measurement);
        }
        results.push({
          mode,
          histories: size,
          processes,
          rounds,
          medianHistoriesPerSecond: Math.round(median(runs.map((r) => r.historiesPerSecond))),
          medianSeconds: Math.round(median(runs.map((r) => r.seconds)) * 10) / 10,
          medianPeakRssMb: Math.round(median(runs.map((r) => r.peakRssMb))),
          medianCpuMsPerHistory: Math.round(median(runs.map((r) => r.cpuMsPerHistory)) * 100) / 100,
        });
      }
      rmSync(dir, { recursive: true, force: true });
    }
    console.log('\n| mode | histories | processes | histories/s | seconds | CPU ms per history | peak RSS |\n| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(`| ${r.mode} | ${r.histories} | ${r.processes} | ${r.medianHistoriesPerSecond} | ${r.medianSeconds} | ${r.medianCpuMsPerHistory} | ${r.medianPeakRssMb} MB |`);
    }
    // What analysts get by default (the fold) keeps the key results had before modes existed, so bench:compare pairs
    // an older result (the replayer, then the default) with what `wa-analyst kpi` does now; the replayer is `…, replay`.
    const key = (r: Summary) => `${r.histories} histories, ${r.processes} process(es)${r.mode === 'replay' ? ', replay' : ''}`;
    saveResult(run, { results: Object.fromEntries(results.map((r) => [key(r), r])) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

runMain(() => (args.child ? child(args.dir!, args.bundle!, Number(args.processes), args.mode as AnalysisEngine) : main()));
