/**
 * `npm run bench:temporal-sqlite`: the embedded Temporal dev server's SQLite settings side by side. For each
 * `--modes` entry (`;`-separated; each a comma-separated EMBEDDED_TEMPORAL_SQLITE_PRAGMAS value, empty for SQLite's
 * defaults) and each round, a fresh dev server on its own file takes `--count` signal-with-starts, 64 in flight over
 * 50 workflows, to a workflow that does nothing (bench/raw-ceiling.ts); prints signal-with-starts a second and the
 * server's CPU-ms (user + system, /proc) per signal-with-start.
 *
 * Options: --modes 'journal_mode=delete;journal_mode=wal,synchronous=full;journal_mode=wal,synchronous=normal'
 *          --rounds 2  --count 1000  --label latest
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EmbeddedSchema } from '../lib/config';
import { startTemporalDevServer } from '../scripts/dev-servers';
import { round1, runMain, saveResult, startRun } from './bench.support';
import { rawCeiling } from './raw-ceiling';

const { values: args } = parseArgs({
  options: {
    modes: { type: 'string', default: 'journal_mode=delete;journal_mode=wal,synchronous=full;journal_mode=wal,synchronous=normal' },
    rounds: { type: 'string', default: '2' },
    count: { type: 'string', default: '1000' },
    label: { type: 'string', default: 'latest' },
  },
});

/** User + system CPU of a process, in ms (clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

async function main(): Promise<void> {
  const run = startRun('temporal-sqlite', args.label);
  const modes = args.modes.split(';').map((mode) => EmbeddedSchema.shape.EMBEDDED_TEMPORAL_SQLITE_PRAGMAS.parse(mode));
  const rows: { pragmas: string; round: number; perSecond: number; serverCpuMsEach: number }[] = [];
  for (let round = 1; round <= Number(args.rounds); round += 1) {
    for (const pragmas of modes) {
      const dir = mkdtempSync(join(tmpdir(), 'bench-temporal-sqlite-'));
      const server = await startTemporalDevServer({ uiPort: false, dbFile: join(dir, 'temporal.db'), sqlitePragmas: pragmas, logFile: join(dir, 'temporal.log') });
      try {
        const before = cpuMs(server.pid);
        const perSecond = await rawCeiling(server.address, Number(args.count), 50);
        const row = { pragmas: pragmas.join(',') || '(SQLite defaults)', round, perSecond, serverCpuMsEach: round1((cpuMs(server.pid) - before) / Number(args.count)) };
        rows.push(row);
        console.log(`round ${round}  ${row.pragmas.padEnd(40)} ${String(perSecond).padStart(7)} signal-with-starts/s  ${row.serverCpuMsEach} server CPU-ms each`);
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  saveResult(run, { count: Number(args.count), rows });
}

runMain(main);
