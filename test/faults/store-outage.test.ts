import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, startFerretDb, type RunningServer } from '../../lib/dev-servers';
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

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
  it('answers 503 while it is down, then takes every redelivered message exactly once', async () => {
    const customers = ['15552220001', '15552220002', '15552220003'];
    const deliveries: Promise<{ finalStatus: number; attempts: number }>[] = [];
    for (let round = 0; round < 6; round += 1) {
      if (round === 2) await ferret.stop();
      for (const from of customers) {
        deliveries.push(rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from, text: `message ${round}` }).then((r) => r.delivery));
      }
      await new Promise((resolve) => setTimeout(resolve, round >= 2 ? 2_500 : 200));
      if (round === 5) ferret = await startStore(); // ≈ 10 s after the stop
    }
    const results = await Promise.all(deliveries);

    // The broker's redelivery got every message in; those sent during the outage needed more than one attempt.
    expect(results.every((r) => r.finalStatus === 200)).toBe(true);
    expect(results.slice(6).some((r) => r.attempts > 1)).toBe(true);
    for (const from of customers) {
      const conversation = await eventually(
        () => rig.request('GET', `/v1/conversations/wa:${BUSINESS_NUMBER_ID}:${from}`),
        (r) => r.status === 200 && r.body.inboundCount === 6,
        60_000,
      );
      expect(conversation.body.state).toBe('openSession');
    }
    expect(await rig.store.messages.countDocuments({ direction: 'inbound' })).toBe(18);
    expect(await rig.store.messages.countDocuments({ direction: 'inbound', handled: true })).toBe(18);
  }, 120_000);
});
