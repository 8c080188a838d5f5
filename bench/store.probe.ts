/**
 * Imported first by the benchmarks' API and worker entry points (bench/api.probe.ts, bench/worker.probe.ts): counts
 * every command this process sends to the store, by command and collection (`find messages`), and sums the time each
 * took from send to answer (ms, the driver's view: queueing in the store included). The benchmark asks for both over
 * the IPC channel it spawned the process with (`{ probe: 'store' }`, answered `{ probe: 'store', counts, ms }`), so
 * nothing is written while the connector works: the probe costs the measured process no file I/O and never blocks its
 * event loop (it wrote a file every 200 ms before, which showed in the API's own CPU profile). It wraps the driver's
 * internal `Connection.command` (mongodb 7): a benchmark's instrument, never loaded in service.
 */
import { answerProbe } from './probe.ipc';

type Command = (this: unknown, ns: unknown, command: Record<string, unknown>, ...rest: unknown[]) => Promise<unknown>;
const ignored = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'buildInfo', 'saslStart', 'saslContinue']);

if (process.send) {
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
  answerProbe('store', () => ({ counts, ms }));
}
