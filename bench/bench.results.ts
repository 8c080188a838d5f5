/**
 * Every benchmark's header and JSON result: the machine (cores, model, memory, load average), the commit and the date,
 * printed above the figures and kept with them in bench/results/<bench>-<label>.json, so that `npm run bench:compare`
 * can put two runs side by side. The folder is git-ignored: a result is committed (`git add -f`) only when the
 * README quotes one of its figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');

/** Where and when a run was measured. */
export interface RunInfo {
  bench: string;
  label: string;
  /** ISO 8601, when the run started. */
  measuredAt: string;
  /** `git rev-parse HEAD`, with `dirty: true` when the working tree had uncommitted changes. */
  commit: string;
  dirty: boolean;
  machine: {
    cores: number;
    model: string;
    memoryGb: number;
    node: string;
    /** 1, 5 and 15 minute load averages when the run started: the machine is shared, the figures depend on it. */
    loadAverage: number[];
  };
}

/** A result file: the run's header, the load average at its end, and the benchmark's own figures. */
export interface BenchResult extends RunInfo {
  loadAverageAtEnd: number[];
  figures: unknown;
}

const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};
const load = () => loadavg().map((n) => Math.round(n * 100) / 100);

/** Reads the machine and the code now, and prints the header line on stderr (figures go to stdout). */
export function startRun(bench: string, label = 'latest'): RunInfo {
  const info: RunInfo = {
    bench,
    label,
    measuredAt: new Date().toISOString(),
    commit: git('rev-parse', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
    machine: {
      cores: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      loadAverage: load(),
    },
  };
  process.stderr.write(`${describeRun(info)}\n`);
  return info;
}

/** One line: bench, label, date, commit, machine and load. */
export function describeRun(info: RunInfo): string {
  const m = info.machine;
  return (
    `bench:${info.bench} (${info.label}) ${info.measuredAt} commit ${info.commit.slice(0, 10)}${info.dirty ? '+changes' : ''}; ` +
    `${m.cores} cores (${m.model}), ${m.memoryGb} GB, Node ${m.node}; load average ${m.loadAverage.join(' ')}`
  );
}

/** Writes the result to bench/results/<bench>-<label>.json, prints where, and returns the path. */
export function saveResult(info: RunInfo, figures: unknown): string {
  const result: BenchResult = { ...info, loadAverageAtEnd: load(), figures };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${info.bench}-${info.label}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${describeRun(info)}; load at end ${result.loadAverageAtEnd.join(' ')}\nresult: ${path}`);
  return path;
}

/** Reads a result file written by `saveResult`. */
export function readResult(path: string): BenchResult {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<BenchResult>;
  if (!parsed.bench || !('figures' in parsed)) throw new Error(`${path} is not a benchmark result (no bench/figures); rerun the benchmark to get one`);
  return parsed as BenchResult;
}

/** Every number in `value`, by its dotted path (arrays by index), in document order. */
export function numericLeaves(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => numericLeaves(v, path ? `${path}.${key}` : key));
}
