/**
 * Imported by the benchmarks' API entry point (bench/api.probe.ts): the event loop's delay (perf_hooks
 * `monitorEventLoopDelay`, 10 ms resolution), one sample per second `{ at, meanMs, p99Ms, maxMs }` (the last 600),
 * written as JSON to `$BENCH_LOOP_PROBE_FILE`, so `bench:ingest` can say whether a slow answer waited on this
 * process's CPU or on what it awaited. A benchmark's instrument, never loaded in service.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_LOOP_PROBE_FILE;

if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const samples: { at: number; meanMs: number; p99Ms: number; maxMs: number }[] = [];
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  setInterval(() => {
    samples.push({ at: Date.now(), meanMs: ms(histogram.mean), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) });
    if (samples.length > 600) samples.shift();
    histogram.reset();
    writeFileSync(file, JSON.stringify(samples));
  }, 1_000).unref();
}
