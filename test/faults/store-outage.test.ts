import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, startFerretDb, type RunningServer } from '../../scripts/dev-servers';
import { expectNothingLostOrDoubled, runFaultStream, type FaultPlan } from '../support/fault-stream';
import { startService, type ServiceRig } from '../support/service';

// A FerretDB of this test's own, so stopping it stops nobody else's tests.
let dir: string;
let port: number;
let ferret: RunningServer & { url: string };
let rig: ServiceRig;
const startStore = () => startFerretDb({ port, dataDir: join(dir, 'data'), logFile: join(dir, 'ferretdb.log') });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'store-outage-'));
  port = await findFreePort();
  ferret = await startStore();
  rig = await startService({ mongoUrl: ferret.url });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await ferret?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the store (FerretDB) stopped for ten seconds mid-stream', () => {
  it('answers 503 while it is down, then takes every redelivered message and retried reply exactly once, in order', async () => {
    let down: Promise<void> | undefined;
    const plan: FaultPlan = {
      fault: 'FerretDB stopped 10 s',
      customerBase: 15552220000,
      customers: 4,
      rounds: 8,
      async atRound(round) {
        if (round === 2) {
          await ferret.stop();
          down = new Promise((resolve) => setTimeout(resolve, 10_000)).then(async () => void (ferret = await startStore()));
        }
        if (round === 7) await down;
      },
    };
    const outcome = await runFaultStream(rig, plan);
    expectNothingLostOrDoubled(outcome, plan);
    // Those sent during the outage needed the broker's redelivery.
    expect(outcome.row.redeliveries).toBeGreaterThan(0);
  }, 240_000);
});
