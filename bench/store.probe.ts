/**
 * Imported first by the benchmarks' API and worker entry points (bench/api.probe.ts, bench/worker.probe.ts): counts
 * every command this process sends to the store, by command and collection (`find messages`), sums the time each
 * took from send to answer (ms, the driver's view: queueing in the store included), and writes both as JSON
 * (`{ counts, ms }`) to `$BENCH_STORE_PROBE_FILE` every 200 ms (not on a signal: Temporal's worker stops on
 * SIGUSR2), so `bench:breakdown` can say which collections a message costs and `bench:scale` which commands grow
 * with the store. It wraps the driver's internal `Connection.command` (mongodb 7): a benchmark's instrument, never
 * loaded in service.
 */
import { renameSync, writeFileSync } from 'node:fs';

type Command = (this: unknown, ns: unknown, command: Record<string, unknown>, ...rest: unknown[]) => Promise<unknown>;
const file = process.env.BENCH_STORE_PROBE_FILE;
const ignored = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'buildInfo', 'saslStart', 'saslContinue']);

if (file) {
  const counts: Record<string, number> = {};
  const ms: Record<string, number> = {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Connection } = require('mongodb/lib/cmap/connection') as { Connection: { prototype: { command: Command } } };
  const original = Connection.prototype.command;
  Connection.prototype.command = function (ns, command, ...rest) {
    const name = Object.keys(command)[0] ?? 'unknown';
    if (ignored.has(name)) return original.call(this, ns, command, ...rest);
    const key = typeof command[name] === 'string' ? `${name} ${command[name] as string}` : name;
    counts[key] = (counts[key] ?? 0) + 1;
    const started = performance.now();
    const took = () => void (ms[key] = (ms[key] ?? 0) + performance.now() - started);
    const answer = original.call(this, ns, command, ...rest);
    answer.then(took, took);
    return answer;
  };
  let written = '';
  const write = () => {
    const json = JSON.stringify({ counts, ms });
    if (json === written) return;
    // Written aside and renamed: a reader never sees a half-written file.
    writeFileSync(`${file}.part`, (written = json));
    renameSync(`${file}.part`, file);
  };
  write();
  setInterval(write, 200).unref();
}
