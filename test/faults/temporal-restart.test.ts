import { expectNothingLostOrDoubled, runFaultStream, type FaultPlan } from '../support/fault-stream';
import { startServiceOnOwnTemporal, type OwnTemporal } from '../support/own-temporal';
import type { ServiceRig } from '../support/service';

let own: OwnTemporal;
let rig: ServiceRig;

beforeAll(async () => {
  own = await startServiceOnOwnTemporal('temporal-restart');
  rig = own.rig;
}, 120_000);

afterAll(async () => {
  await own?.stop();
});

describe('the Temporal dev server restarted mid-stream (persisted)', () => {
  it('answers 503 while it is down, then takes every redelivered message and retried reply exactly once, in order', async () => {
    let down: Promise<void> | undefined;
    const plan: FaultPlan = {
      fault: 'Temporal dev server stopped 5 s, restarted',
      customerBase: 15556660000,
      customers: 4,
      rounds: 8,
      async atRound(round) {
        if (round === 3) {
          await own.stopTemporal();
          // Back five seconds later, while the stream goes on.
          down = new Promise((resolve) => setTimeout(resolve, 5_000)).then(() => own.startTemporal());
        }
        if (round === 7) await down;
      },
    };
    const outcome = await runFaultStream(rig, plan);
    expectNothingLostOrDoubled(outcome, plan);
    // The outage was felt: webhooks sent while it lasted were answered 503 and needed the broker's redelivery.
    expect(outcome.row.redeliveries).toBeGreaterThan(0);
  }, 240_000);
});
