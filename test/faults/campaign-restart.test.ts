import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

const root = join(__dirname, '../..');
let rig: ServiceRig;
let worker: ChildProcess | undefined;

/** `node --import tsx`, so SIGKILL reaches the worker itself (see worker-crash.test.ts). */
function startWorker(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/worker.ts')], { cwd: root, env: { PATH: process.env.PATH, ...rig.workerEnv() }, stdio: 'ignore' });
}

beforeAll(async () => {
  rig = await startService({ inProcessWorker: false });
  await rig.approveTemplate('loyalty_points');
}, 60_000);

afterAll(async () => {
  worker?.kill('SIGKILL');
  await rig?.stop();
});

const RECIPIENTS = 20;
const list = Array.from({ length: RECIPIENTS }, (_, i) => String(15553330000 + i));
const stored = (campaignId: string) => rig.store.db.collection<{ _id: string; processed: number; state: string }>('campaigns').findOne({ _id: campaignId });

describe('a campaign whose worker is killed with SIGKILL mid-way', () => {
  it('finishes after the worker restarts, having messaged every recipient exactly once', async () => {
    worker = startWorker();
    const created = await rig.request('POST', '/v1/campaigns', {
      businessNumberId: BUSINESS_NUMBER_ID,
      template: { name: 'loyalty_points', language: 'en_US' },
      recipients: list.map((waId) => ({ waId })),
      ratePerSecond: 2,
    });
    expect(created.status).toBe(201);
    const id = created.body.campaignId;

    // Seven handed over: with two per batch, the eighth is in flight (its batch not yet recorded).
    const handedOver = () => rig.store.db.collection('campaign_recipients').countDocuments({ campaignId: id, outcome: 'queued' });
    await eventually(handedOver, (n) => n >= 7, 30_000);
    const killed = worker;
    const gone = new Promise((resolve) => killed.once('exit', resolve));
    killed.kill('SIGKILL'); // mid-batch: hand-overs and sends in flight are lost with the process
    await gone;
    const processedAtKill = (await stored(id))!.processed;
    expect(processedAtKill).toBeLessThan(RECIPIENTS);

    worker = startWorker();
    const done = await eventually(() => rig.request('GET', `/v1/campaigns/${id}`), (r) => r.body.state === 'completed', 90_000);
    expect(done.body).toMatchObject({ processed: RECIPIENTS, counts: { queued: RECIPIENTS, refused: 0 } });

    // One message per recipient in the store, and one send per recipient at the broker.
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.type === 'template'), (s) => s.length >= RECIPIENTS, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    console.log(JSON.stringify({ fault: 'worker SIGKILL mid-campaign', recipients: RECIPIENTS, processedAtKill, sent: sent.length }));
    expect(rig.simulator.sent().filter((m) => m.type === 'template').map((m) => m.to).sort()).toEqual([...list].sort());
    expect(await rig.store.messages.countDocuments({ direction: 'outbound', 'sender.id': `campaign:${id}` })).toBe(RECIPIENTS);
  }, 180_000);
});
