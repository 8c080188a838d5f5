/**
 * `npm run bench:replay`: how fast one process replays exported conversation histories and builds their timelines
 * and KPIs (what `wa-analyst kpi --dir` does), and how much memory it needs, for 1,000 and 10,000 histories.
 *
 * The histories are synthesized from the real ones recorded by the workflow tests (test/workflows/histories: a
 * window reply/refusal/reopen, racing sends in both code versions, an idle close, and a long conversation of 397
 * events that continued as new), each copy with a fresh workflow id, run id and conversation id, so every file is
 * a distinct run of a real command sequence. One in twenty is the long one. Each measurement runs in a child process
 * of its own, so its peak memory (maxRSS) is its own; the figures are medians over the rounds.
 *
 * `--processes 1,2` measures each size with one replaying process (`computeKpis(analyzeRuns(...))`, what
 * `wa-analyst kpi` does) and with that many (`kpisInParallel`, analytics/replay.parallel.ts), in the same run, and
 * checks that every way gives the same KPIs. Peak memory with several processes is the sum of their peaks.
 *
 * Options: --sizes 1000,10000  --rounds 3  --processes 1,2  --label latest
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeRuns, computeKpis } from '../analytics/analytics.pipeline';
import { historyFileName } from '../analytics/history.files';
import { loadWorkflowCode, quietTemporalRuntime } from '../analytics/history.replay';
import { historiesFromFiles } from '../analytics/history.source';
import { kpisInParallel } from '../analytics/replay.parallel';
import { CONVERSATION_WORKFLOW_TYPE } from '../workflows/conversation.messages';
import { runMain, saveResult, startRun } from './bench.support';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    rounds: { type: 'string', default: '3' },
    processes: { type: 'string', default: '1,2' },
    label: { type: 'string', default: 'latest' },
    child: { type: 'boolean', default: false },
    dir: { type: 'string' },
    bundle: { type: 'string' },
  },
});
const root = resolve(__dirname, '..');
const seedsDir = join(root, 'test/workflows/histories');

interface Measurement {
  processes: number;
  /** The KPIs as JSON: every way of replaying must give the same. */
  kpis: string;
  histories: number;
  seconds: number;
  historiesPerSecond: number;
  peakRssMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A copy of a recorded history under new ids: run ids in the start event, the conversation id in the input. */
function synthesize(seed: { events: { workflowExecutionStartedEventAttributes?: Record<string, unknown> }[] }, index: number) {
  const copy = structuredClone(seed);
  const started = copy.events[0]!.workflowExecutionStartedEventAttributes!;
  const runId = randomUUID();
  started.originalExecutionRunId = runId;
  started.firstExecutionRunId = runId;
  const payload = (started.input as { payloads: { data: string }[] }).payloads[0]!;
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
  const customer = String(15_550_000_000 + index);
  input.conversation.conversationId = `wa:106540352242922:${customer}`;
  input.conversation.customer = { key: customer, waId: customer };
  payload.data = Buffer.from(JSON.stringify(input)).toString('base64');
  return { workflowId: input.conversation.conversationId as string, runId, json: JSON.stringify(copy) };
}

function generate(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  // Conversations recorded in plain JSON only: campaign and call histories have no conversation to rename, and an
  // encrypted one's input cannot be rewritten without its keys.
  const plain = Buffer.from('json/plain').toString('base64');
  const seeds = readdirSync(seedsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, json: JSON.parse(readFileSync(join(seedsDir, f), 'utf8')) }))
    .filter((s) => {
      const started = s.json.events[0].workflowExecutionStartedEventAttributes;
      return started.workflowType.name === CONVERSATION_WORKFLOW_TYPE && started.input.payloads[0].metadata.encoding === plain;
    });
  const long = seeds.find((s) => s.name.startsWith('continue-as-new'))!;
  const short = seeds.filter((s) => s !== long);
  for (let i = 0; i < count; i += 1) {
    const seed = i % 20 === 19 ? long : short[i % short.length]!;
    const { workflowId, runId, json } = synthesize(seed.json, i);
    writeFileSync(join(dir, historyFileName(workflowId, runId)), json);
  }
}

/** The child: replay every history in `dir` with `processes` processes, build KPIs, report throughput and peak memory. */
async function child(dir: string, bundlePath: string, processes: number): Promise<void> {
  quietTemporalRuntime();
  const code = await loadWorkflowCode({ bundlePath });
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
  let replayersPeakMb = 0;
  const started = process.hrtime.bigint();
  const kpis =
    processes === 1
      ? await computeKpis(analyzeRuns(historiesFromFiles(files), code))
      : await kpisInParallel(files, { code: { codePath: bundlePath }, processes, onProcessDone: (s) => void (replayersPeakMb += s.peakRssMb) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (kpis.runs !== files.length) throw new Error(`replayed ${kpis.runs} of ${files.length} histories (${kpis.replayFailures} failed)`);
  const measurement: Measurement = {
    processes,
    kpis: JSON.stringify(kpis),
    histories: files.length,
    seconds,
    historiesPerSecond: files.length / seconds,
    // With several processes this one only adds up: its peak and theirs, as if they all peaked at once.
    peakRssMb: process.resourceUsage().maxRSS / 1024 + replayersPeakMb,
  };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

async function main(): Promise<void> {
  const run = startRun('replay', args.label);
  const sizes = args.sizes.split(',').map(Number);
  const processCounts = args.processes.split(',').map(Number);
  const rounds = Number(args.rounds);
  const work = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  try {
    const bundlePath = join(work, 'workflow-bundle.js');
    const code = await loadWorkflowCode();
    writeFileSync(bundlePath, 'code' in code ? code.code : readFileSync(code.codePath, 'utf8'));
    const results = [];
    for (const size of sizes) {
      const dir = join(work, `h${size}`);
      process.stderr.write(`generating ${size} histories…\n`);
      generate(dir, size);
      let kpis: string | undefined;
      for (const processes of processCounts) {
        const runs: Measurement[] = [];
        for (let round = 1; round <= rounds; round += 1) {
          const argv = [require.resolve('tsx/cli'), __filename, '--child', '--dir', dir, '--bundle', bundlePath, '--processes', String(processes)];
          const spawned = spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
          if (spawned.status !== 0) throw new Error(`child failed: ${spawned.stderr}`);
          const measurement = JSON.parse(spawned.stdout.trim().split('\n').pop()!) as Measurement;
          process.stderr.write(`  ${size} histories, ${processes} process(es), round ${round}: ${measurement.historiesPerSecond.toFixed(0)}/s, peak RSS ${measurement.peakRssMb.toFixed(0)} MB\n`);
          kpis ??= measurement.kpis;
          if (measurement.kpis !== kpis) throw new Error(`${processes} process(es) gave other KPIs than the first way:\n${kpis}\n${measurement.kpis}`);
          runs.push(measurement);
        }
        results.push({
          histories: size,
          processes,
          rounds,
          medianHistoriesPerSecond: Math.round(median(runs.map((r) => r.historiesPerSecond))),
          medianSeconds: Math.round(median(runs.map((r) => r.seconds)) * 10) / 10,
          medianPeakRssMb: Math.round(median(runs.map((r) => r.peakRssMb))),
        });
      }
      rmSync(dir, { recursive: true, force: true });
    }
    console.log('\n| histories | processes | replayed/s (median) | seconds (median) | peak RSS (median) |\n| --- | --- | --- | --- | --- |');
    for (const r of results) console.log(`| ${r.histories} | ${r.processes} | ${r.medianHistoriesPerSecond} | ${r.medianSeconds} | ${r.medianPeakRssMb} MB |`);
    saveResult(run, { results: Object.fromEntries(results.map((r) => [`${r.histories} histories, ${r.processes} process(es)`, r])) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

runMain(() => (args.child ? child(args.dir!, args.bundle!, Number(args.processes)) : main()));
