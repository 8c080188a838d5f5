import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

const root = join(__dirname, '../..');
let rig: ServiceRig;
let worker: ChildProcess | undefined;

/** `node --import tsx` rather than the tsx launcher, which would run the worker as a grandchild SIGKILL misses. */
function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/worker.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, ...rig.workerEnv() },
    stdio: 'ignore',
  });
  return child;
}

beforeAll(async () => {
  rig = await startService({ inProcessWorker: false });
}, 60_000);

afterAll(async () => {
  worker?.kill('SIGKILL');
  await rig?.stop();
});

const CUSTOMERS = 5;
const ROUNDS = 8;
const customerOf = (i: number) => String(15554440000 + i);
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

describe('the worker killed with SIGKILL mid-stream', () => {
  it('loses no customer message and sends every reply exactly once, in order, after it restarts', async () => {
    worker = startWorker();
    const replies: { customer: string; text: string }[] = [];
    let accepted = 0;
    let retried503 = 0;

    // Rounds 0–3 with the worker up; killed right after round 3's replies were accepted (their sends in flight);
    // rounds 4–5 arrive while it is down (webhooks are still taken; an agent's send needs a worker to validate it,
    // so none is attempted); restarted for rounds 6–7.
    const workerUp = (round: number) => round <= 3 || round >= 6;
    for (let round = 0; round < ROUNDS; round += 1) {
      if (round === 6) worker = startWorker();
      for (let i = 0; i < CUSTOMERS; i += 1) {
        const customer = customerOf(i);
        const { delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: `message ${round}` });
        if (delivery.finalStatus === 200) accepted += 1;
      }
      if (round === 0) {
        // Replies need the conversation's read model, which the worker writes.
        for (let i = 0; i < CUSTOMERS; i += 1) await eventually(() => rig.request('GET', path(customerOf(i))), (r) => r.status === 200, 30_000);
      }
      if (!workerUp(round) || round === 0) continue;
      for (let i = 0; i < CUSTOMERS; i += 1) {
        const customer = customerOf(i);
        const text = `reply ${round} to ${customer}`;
        // Like a correct client: a 503 (outcome unknown) is retried with the same Idempotency-Key.
        let answer = { status: 0 };
        for (let attempt = 0; attempt < 6 && answer.status !== 202; attempt += 1) {
          answer = await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text } }, { 'idempotency-key': `reply-${round}-${customer}` });
          if (answer.status === 503) retried503 += 1;
        }
        expect(answer.status).toBe(202);
        replies.push({ customer, text });
      }
      if (round === 3) {
        // No graceful anything: in-flight tasks and activities are lost with the process.
        const killed = worker;
        const gone = new Promise((resolve) => killed.once('exit', resolve));
        killed.kill('SIGKILL');
        await gone;
        expect(() => process.kill(killed.pid!, 0)).toThrow();
      }
    }
    expect(replies).toHaveLength(CUSTOMERS * 5);

    // Every accepted customer message is stored once and handled by its conversation.
    expect(accepted).toBe(CUSTOMERS * ROUNDS);
    for (let i = 0; i < CUSTOMERS; i += 1) {
      const conversation = await eventually(() => rig.request('GET', path(customerOf(i))), (r) => r.body.inboundCount === ROUNDS, 60_000);
      expect(conversation.body.state).toBe('openSession');
    }
    expect(await rig.store.messages.countDocuments({ direction: 'inbound' })).toBe(CUSTOMERS * ROUNDS);
    expect(await rig.store.messages.countDocuments({ direction: 'inbound', handled: true })).toBe(CUSTOMERS * ROUNDS);

    // Every reply accepted while the worker was up or down reaches the broker exactly once, in order per customer.
    const sent = await eventually(() => rig.simulator.sent(), (s) => s.length >= replies.length, 60_000);
    const row = { fault: 'worker SIGKILL', sent: CUSTOMERS * ROUNDS, accepted, replies: replies.length, retried503, delivered: sent.length };
    console.log(JSON.stringify(row));
    expect(sent).toHaveLength(replies.length);
    for (let i = 0; i < CUSTOMERS; i += 1) {
      const customer = customerOf(i);
      const delivered = sent.filter((m) => m.to === customer).map((m) => (m.body.text as { body: string }).body);
      expect(delivered).toEqual(replies.filter((r) => r.customer === customer).map((r) => r.text));
    }
  }, 150_000);
});
