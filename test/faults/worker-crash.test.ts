import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expectNothingLostOrDoubled, runFaultStream, type FaultPlan } from '../support/fault-stream';
import { startService, type ServiceRig } from '../support/service';

const root = join(__dirname, '../..');
let rig: ServiceRig;
let worker: ChildProcess | undefined;

/** `node --import tsx` rather than the tsx launcher, which would run the worker as a grandchild SIGKILL misses. */
function startWorker(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/worker.ts')], { cwd: root, env: { PATH: process.env.PATH, ...rig.workerEnv() }, stdio: 'ignore' });
}

async function killWorker(): Promise<void> {
  // No graceful anything: in-flight workflow tasks, local activities and sends are lost with the process.
  const killed = worker!;
  const gone = new Promise((resolve) => killed.once('exit', resolve));
  killed.kill('SIGKILL');
  await gone;
  expect(() => process.kill(killed.pid!, 0)).toThrow();
}

beforeAll(async () => {
  rig = await startService({ inProcessWorker: false });
}, 60_000);

afterAll(async () => {
  worker?.kill('SIGKILL');
  await rig?.stop();
});

describe('the worker killed with SIGKILL mid-stream', () => {
  it('loses no customer message and sends every reply exactly once, in order, after it restarts', async () => {
    // Killed as round 4 begins (round 3's replies in flight); rounds 4–5 arrive with no worker (webhooks are still
    // taken; replies wait on a worker to validate them, answer 503 and are retried); restarted at round 6.
    const plan: FaultPlan = {
      fault: 'worker SIGKILL, restarted 2 s later',
      customerBase: 15554440000,
      customers: 5,
      rounds: 8,
      async atRound(round) {
        if (round === 0) worker = startWorker();
        if (round === 4) await killWorker();
        if (round === 6) worker = startWorker();
      },
    };
    const outcome = await runFaultStream(rig, plan);
    expectNothingLostOrDoubled(outcome, plan);
    // The kill was felt: replies sent with no worker to validate them were answered 503 and retried.
    expect(outcome.row.retriedSends).toBeGreaterThan(0);
  }, 180_000);
});
