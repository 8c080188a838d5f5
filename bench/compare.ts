/**
 * `npm run bench:compare -- <before.json> <after.json>`: two results of one benchmark side by side, every figure
 * with its ratio after/before. Both runs' headers are printed first: a ratio means something only between runs on
 * the same machine under a similar load, so a different machine is said loudly.
 *
 * Options: --all (also figures equal in both runs)
 */
import { parseArgs } from 'node:util';
import { describeRun, numericLeaves, readResult } from './bench.results';
import { runMain } from './bench.support';

const { values: args, positionals } = parseArgs({ options: { all: { type: 'boolean', default: false } }, allowPositionals: true });

const show = (n: number | undefined) => (n === undefined ? '—' : String(Math.round(n * 1000) / 1000));

/** after/before, to three digits; blank when either side is missing or before is zero. */
export function ratio(before: number | undefined, after: number | undefined): string {
  if (before === undefined || after === undefined || before === 0) return '';
  return `${(after / before).toFixed(3)}x`;
}

runMain(async () => {
  if (positionals.length !== 2) throw new Error('usage: npm run bench:compare -- <before.json> <after.json>');
  const [before, after] = positionals.map(readResult) as [ReturnType<typeof readResult>, ReturnType<typeof readResult>];
  console.log(`before: ${describeRun(before)}; load at end ${before.loadAverageAtEnd?.join(' ')}`);
  console.log(`after:  ${describeRun(after)}; load at end ${after.loadAverageAtEnd?.join(' ')}`);
  if (before.bench !== after.bench) console.log(`WARNING: different benchmarks (${before.bench} / ${after.bench})`);
  if (before.machine.model !== after.machine.model || before.machine.cores !== after.machine.cores) {
    console.log('WARNING: different machines: the ratios compare the machines as much as the code');
  }
  const b = new Map(numericLeaves(before.figures));
  const a = new Map(numericLeaves(after.figures));
  const paths = [...new Set([...b.keys(), ...a.keys()])];
  const rows = paths.filter((p) => args.all || b.get(p) !== a.get(p));
  const width = Math.max(6, ...rows.map((p) => p.length));
  console.log(`\n${'figure'.padEnd(width)}  ${'before'.padStart(12)}  ${'after'.padStart(12)}  ${'after/before'.padStart(12)}`);
  for (const p of rows) console.log(`${p.padEnd(width)}  ${show(b.get(p)).padStart(12)}  ${show(a.get(p)).padStart(12)}  ${ratio(b.get(p), a.get(p)).padStart(12)}`);
  if (rows.length < paths.length) console.log(`(${paths.length - rows.length} figures equal in both runs not shown; --all shows them)`);
});
