import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, startTemporalDevServer, type TemporalDevServer } from '../../lib/dev-servers';
import { expectNothingLostOrDoubled, runFaultStream, type FaultPlan } from '../support/fault-stream';
import { startService, type ServiceRig } from '../support/service';

// A dev server of this test's own, persisted to a file, so stopping it stops nobody else's tests and its
// workflows survive the restart.
let dir: string;
let port: number;
let temporal: TemporalDevServer;
let rig: ServiceRig;
const startTemporal = () => startTemporalDevServer({ port, uiPort: false, dbFile: join(dir, 'temporal.db'), logFile: join(dir, 'temporal.log') });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-restart-'));
  port = await findFreePort();
  temporal = await startTemporal();
  rig = await startService({ temporalAddress: temporal.address });
}, 120_000);

afterAll(async () => {
  await rig?.stop();
  await temporal?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Temporal dev server restarted mid-stream (persisted)', () => {
  // Skipped while a conversation evicted at the wrong moment cannot replay its own history, which this fault
  // provokes under load (see replay-own-history.test.ts): un-skip when that test turns red.
  it.skip('answers 503 while it is down, then takes every redelivered message and retried reply exactly once, in order', async () => {
    let down: Promise<void> | undefined;
    const plan: FaultPlan = {
      fault: 'Temporal dev server stopped 5 s, restarted',
      customerBase: 15556660000,
      customers: 4,
      rounds: 8,
      async atRound(round) {
        if (round === 3) {
          await temporal.stop();
          // Back five seconds later, while the stream goes on.
          down = new Promise((resolve) => setTimeout(resolve, 5_000)).then(async () => void (temporal = await startTemporal()));
        }
        if (round === 7) await down;
      },
    };
    expectNothingLostOrDoubled(await runFaultStream(rig, plan), plan);
  }, 240_000);
});
