/**
 * The production worker (bin/worker.ts) with two additions for benchmarks: it reports `process.memoryUsage()` to
 * its parent over IPC every second, so heap and RSS come from inside the process that holds the workflow cache, and
 * it counts its store commands (bench/store.probe.ts).
 */
import './store.probe';

const report = () => process.send?.({ memory: process.memoryUsage() });
setInterval(report, 1_000).unref();
report();

import('../bin/worker').catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
