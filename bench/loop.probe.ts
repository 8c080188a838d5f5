/**
 * Imported by the benchmarks' API entry point (bench/api.probe.ts): the event loop's delay (perf_hooks
 * `monitorEventLoopDelay`, 10 ms resolution), one sample per second `{ at, meanMs, p99Ms, maxMs }` (the last 600),
 * answered over the IPC channel when the benchmark asks (`{ probe: 'loop' }`), so `bench:ingest` can say whether a
 * slow answer waited on this process's CPU or on what it awaited. A benchmark's instrument, never loaded in service.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { answerProbe } from './probe.ipc';

if (process.send) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const samples: { at: number; meanMs: number; p99Ms: number; maxMs: number }[] = [];
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  setInterval(() => {
    samples.push({ at: Date.now(), meanMs: ms(histogram.mean), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) });
    if (samples.length > 600) samples.shift();
    histogram.reset();
  }, 1_000).unref();
  answerProbe('loop', () => ({ samples }));
}
