import { expectNothingLostOrDoubled, runFaultStream, type FaultPlan } from '../support/fault-stream';
import { startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('a broker 429/5xx storm mid-stream', () => {
  it('retries every refused send with backoff and delivers each exactly once, in order', async () => {
    const plan: FaultPlan = {
      fault: 'broker 429 ×10 then 500/503 ×10',
      customerBase: 15557770000,
      customers: 4,
      rounds: 8,
      async atRound(round) {
        if (round !== 3) return;
        // Every send the broker gets is refused until these are used up: rate limits first, then server errors.
        rig.simulator.injectFault({ kind: 'http', status: 429, times: 10 });
        rig.simulator.injectFault({ kind: 'http', status: 500, times: 5 });
        rig.simulator.injectFault({ kind: 'http', status: 503, times: 5 });
      },
    };
    const outcome = await runFaultStream(rig, plan);
    expectNothingLostOrDoubled(outcome, plan);
    // The storm really hit: the broker was asked more often than it accepted.
    expect(rig.simulator.requests()).toBeGreaterThanOrEqual(outcome.row.delivered + 20);
  }, 180_000);
});
