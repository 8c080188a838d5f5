/** The production API (bin/api.ts) with the store probe (bench/store.probe.ts) loaded first. */
import './store.probe';

import('../bin/api').catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
