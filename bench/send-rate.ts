/**
 * `npm run bench:send-rate`: does the per-number send rate hold across workers, and does per-customer pacing space
 * messages? Against the real Temporal dev server and FerretDB (started here unless TEMPORAL_ADDRESS / MONGODB_URL are
 * given), with the broker simulator in this process and the connector's workers as child processes.
 *
 * 1. `--sends` templates to as many customers on one business number, offered as fast as the API path takes them
 *    (32 in flight), with the number's rate set to `--rate` and `--workers` worker processes serving its lane. Prints
 *    the rate the broker saw, the busiest one-second window, and how long the sends queued.
 * 2. `--paced` templates in a row to one customer: prints the gaps between them at the broker (pacing: 6 s).
 *
 * Options: --sends 500  --rate 8  --workers 2  --paced 4 (the rate sits below what this machine can offer, about 12-17 sends/s, so the sends queue)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createConversationService } from '../services/conversations.service';
import { defaultMessagingLimits } from '../lib/messaging-limits';
import { startBrokerSimulator } from '../simulator/broker-simulator';
import { connectStore } from '../store/db';
import { upsertTemplate } from '../store/templates.store';
import { BENCH_PAYLOAD_KEYS, BUSINESS, benchDataConverter, machine, root, round1, sleep, startStack, waitFor , runMain, saveResult, startRun } from './bench.support';

const { values: args } = parseArgs({
  options: {
    sends: { type: 'string', default: '500' },
    rate: { type: 'string', default: '8' },
    workers: { type: 'string', default: '2' },
    paced: { type: 'string', default: '4' },
    label: { type: 'string', default: 'latest' },
  },
});
const sends = Number(args.sends);
const rate = Number(args.rate);
const workerCount = Number(args.workers);
const paced = Number(args.paced);
const TOKEN = 'bench-token';

async function main(): Promise<void> {
  const run = startRun('send-rate', args.label);
  const work = mkdtempSync(join(tmpdir(), 'bench-send-rate-'));
  const children: ChildProcess[] = [];
  const stack = await startStack(work);
  const { temporalAddress, mongoUrl } = stack;
  // Load, not conformance: the simulator takes every send unchecked (its templates are never created there).
  const simulator = await startBrokerSimulator({ port: 0, accessToken: TOKEN, appSecret: 'bench', autoStatuses: false, acceptEverything: true });
  try {
    const bundlePath = join(work, 'workflows.js');
    writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') })).code);

    const dbName = `bench_send_${Date.now()}`;
    const taskQueue = `bench-send-${Date.now()}`;
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_PAYLOAD_KEYS: BENCH_PAYLOAD_KEYS,
      MONGODB_URL: mongoUrl,
      MONGODB_DB: dbName,
      WHATSAPP_API_BASE_URL: simulator.url,
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      WHATSAPP_APP_SECRET: 'bench',
      WHATSAPP_VERIFY_TOKEN: 'bench',
      WHATSAPP_SEND_RATE_PER_SECOND: String(rate),
      WHATSAPP_TEMPLATE_TIER: 'unlimited',
      WORKER_SEND_LANE_REFRESH_MS: '1000',
      WORKER_WORKFLOW_BUNDLE: bundlePath,
      LOG_LEVEL: 'warn',
    };
    for (let i = 0; i < workerCount; i += 1) {
      children.push(spawn(process.execPath, ['--import', 'tsx', join(root, 'bin/worker.ts')], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] }));
    }

    const store = await connectStore(mongoUrl, dbName);
    await upsertTemplate(store, { businessNumberId: BUSINESS, name: 'bench_notice', language: 'en_US', category: 'utility', status: 'APPROVED', body: 'Hi {{1}}', updatedAt: new Date() });
    const connection = await Connection.connect({ address: temporalAddress });
    const conversations = createConversationService({
      store,
      temporal: new Client({ connection, dataConverter: benchDataConverter }),
      taskQueue,
      idleCloseAfterMs: 24 * 60 * 60 * 1000,
      limits: { ...defaultMessagingLimits, defaults: { sendRatePerSecond: rate, templateTier: 'unlimited' } },
    });
    const template = { name: 'bench_notice', language: 'en_US', components: [{ type: 'body' as const, parameters: [{ type: 'text' as const, text: 'you' }] }] };
    const start = (waId: string, key: string) =>
      conversations.start({ businessNumberId: BUSINESS, customer: { waId }, template }, { kind: 'integrator' }, key);

    // Warm-up: one send opens the lane and lets every worker find it in the registry.
    await start('15550009999', 'warm-up');
    await waitFor(async () => simulator.sent().length === 1, 60_000, 100);
    await sleep(2_000);
    simulator.reset();

    // 1. Many customers, one number.
    const offeredAt = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < sends) {
          const i = next++;
          await start(String(15551000000 + i), `bench-${i}`);
        }
      }),
    );
    const offeredSeconds = (performance.now() - offeredAt) / 1000;
    await waitFor(async () => simulator.sent().length >= sends, 600_000, 100);
    const times = simulator.sent().map((m) => m.receivedAt.getTime()).sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i += 1) {
      while (times[i]! - times[j]! >= 1000) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
    const spanSeconds = (times.at(-1)! - times[0]!) / 1000;
    const lane = {
      sends,
      workers: workerCount,
      configuredRatePerSecond: rate,
      offeredPerSecond: round1(sends / offeredSeconds),
      achievedPerSecond: round1((times.length - 1) / spanSeconds),
      busiestSecond: busiest,
      seconds: round1(spanSeconds),
      duplicates: times.length - new Set(simulator.sent().map((m) => m.to)).size,
    };

    // 2. One customer, several templates in a row.
    simulator.reset();
    const pacedWaId = '15552000000';
    const first = await start(pacedWaId, 'paced-0');
    for (let i = 1; i < paced; i += 1) await conversations.send(first.conversationId, { type: 'template', ...template }, { kind: 'integrator' }, `paced-${i}`);
    await waitFor(async () => simulator.sent().length >= paced, 120_000, 100);
    const pacedTimes = simulator.sent().map((m) => m.receivedAt.getTime());
    const gapsSeconds = pacedTimes.slice(1).map((t, i) => round1((t - pacedTimes[i]!) / 1000));

    const result = {
      machine: machine(),
      lane,
      pacing: { sends: paced, configuredMs: defaultMessagingLimits.customerPacingMs, gapsSeconds },
    };
    console.log(`\nSend-rate benchmark — ${result.machine}\n`);
    console.log(`One number, ${sends} templates to ${sends} customers, rate ${rate}/s, ${workerCount} worker processes:`);
    console.log(`  offered ${lane.offeredPerSecond}/s; broker saw ${lane.achievedPerSecond}/s over ${lane.seconds} s; busiest second ${busiest}; duplicates ${lane.duplicates}`);
    console.log(`One customer, ${paced} templates in a row (pacing ${result.pacing.configuredMs} ms): gaps ${gapsSeconds.join(' s, ')} s`);
    saveResult(run, result);
    await connection.close();
    await store.close();
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((done) => (child.exitCode === null ? child.once('exit', done) : done(null)))));
    await simulator.close();
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

runMain(main);
