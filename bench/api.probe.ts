/** The production API (bin/api.ts) with the store and event-loop probes (bench/store.probe.ts, bench/loop.probe.ts) loaded first. */
import './store.probe';
import './loop.probe';

import('../bin/api').catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
