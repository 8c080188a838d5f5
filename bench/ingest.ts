/**
 * `npm run bench:ingest`: how fast the connector takes WhatsApp webhooks, against the real Temporal dev server and
 * FerretDB (started here unless TEMPORAL_ADDRESS / MONGODB_URL are given). The connector (API and worker) runs in
 * child processes; this process is the load generator, sending signed Cloud API webhooks over loopback.
 *
 * Per offered rate: webhook acknowledgement latency (p50/p99, share over 1 s), inbound messages fully processed
 * per second (stored and handled by their conversation's workflow), end-to-end latency, and where the API's part
 * goes: its CPU and store commands per webhook, its event-loop delay while the step was sent. Then, in the same run, the
 * raw ceiling: as many signal-with-starts as fast as possible to a workflow that does nothing, against our own
 * closed-loop throughput for the same number of messages.
 *
 * Then one customer's `--large` messages in a single signed POST: how long until it is answered (Meta's budget: a
 * median under 250 ms, under 1 % past 1 s) and until every message is handled by the conversation.
 *
 * Options: --rates 50,100,200  --seconds 10  --customers 500  --ceiling 2000  --large 5000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { connectStore } from '../store/db';
import { ensureOutbound, recordAccepted } from '../store/messages.store';
import { conversationWorkflowId } from '../workflows/conversation.messages';
import { inboundTextWebhook, statusWebhook } from '../simulator/cloud-api.payloads';
import { BUSINESS, closedLoop, handledMessages, machine, quantile, round1, sleep, startStack, runMain, saveResult, startRun } from './bench.support';
import { postWebhook, startIngestConnector, type Connector } from './bench.connector';
import { rawCeiling } from './raw-ceiling';
import { cpuSeconds } from './breakdown.budget';

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,100,200,400' },
    seconds: { type: 'string', default: '10' },
    customers: { type: 'string', default: '500' },
    ceiling: { type: 'string', default: '2000' },
    large: { type: 'string', default: '5000' },
    label: { type: 'string', default: 'latest' },
  },
});
const rates = args.rates.split(',').map(Number);
const seconds = Number(args.seconds);
const customers = Number(args.customers);
const ceilingCount = Number(args.ceiling);
interface Step {
  offeredWebhooksPerSecond: number;
  webhooks: number;
  inboundMessages: number;
  /** Answered other than 200 (or not at all): the broker redelivers these. */
  unacknowledged: number;
  /** Customer messages answered 200 but not handled within two minutes: these would be lost. */
  acceptedUnhandled: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackOver1sPercent: number;
  processedMessagesPerSecond: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  /** The API process's CPU per webhook, from the step's first POST until its messages were handled (hand-overs included). */
  apiCpuMsPerWebhook: number;
  /** Store commands the API sent per webhook over the same span (bench/store.probe.ts). */
  apiStoreCommandsPerWebhook: number;
  /** The API's event-loop delay while the step was sent: the worst second's p99, and the mean (bench/loop.probe.ts). */
  apiLoopP99Ms: number;
  apiLoopMeanMs: number;
}

async function main(): Promise<void> {
  const run = startRun('ingest', args.label);
  const work = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const stack = await startStack(work);
  const { temporalAddress, mongoUrl } = stack;
  let connector: Connector | undefined;
  try {
    const started = await startIngestConnector(stack, 'bench');
    connector = started.connector;
    const { dbName } = started;
    const url = connector.webhookUrl;
    const mongo = await MongoClient.connect(mongoUrl);
    const handled = handledMessages(mongo.db(dbName));

    let sequence = 0;
    /** One signed webhook: a quarter are customer messages, the rest delivery statuses (≈3 per outbound message). */
    const nextWebhook = () => {
      sequence += 1;
      const customer = String(15550000000 + (sequence % customers));
      const body =
        sequence % 4 === 0
          ? inboundTextWebhook({ phoneNumberId: BUSINESS, from: customer, text: `message ${sequence}`, wamid: `wamid.bench.${dbName}.${sequence}` })
          : statusWebhook({ phoneNumberId: BUSINESS, wamid: `wamid.out.${Math.floor(sequence / 4)}`, status: (['sent', 'delivered', 'read'] as const)[sequence % 4 - 1]!, pricingCategory: 'service' });
      return { raw: JSON.stringify(body), inboundId: sequence % 4 === 0 ? `wamid.bench.${dbName}.${sequence}` : undefined };
    };
    const post = async (raw: string) => {
      const { status, ms } = await postWebhook(url, raw);
      return { ok: status === 200, ms };
    };

    // The statuses refer to outbound messages recorded as the worker records a send the broker took, so each one
    // finds its message (wamid → message → status) like real delivery receipts do.
    const store = await connectStore(mongoUrl, dbName);
    const recordSendsFor = async (webhooks: number) => {
      const first = Math.floor((sequence + 1) / 4);
      const last = Math.floor((sequence + webhooks) / 4);
      for (let n = first; n <= last; n += 1) {
        const customer = String(15550000000 + ((4 * n) % customers));
        const messageId = `out.${n}`;
        await ensureOutbound(store, {
          messageId,
          conversationId: conversationWorkflowId(BUSINESS, customer),
          businessNumberId: BUSINESS,
          customer: { key: customer, waId: customer },
          message: { type: 'text', text: 'Your order has shipped' },
          sender: { kind: 'agent', id: 'bench' },
          acceptedAt: Date.now(),
        });
        await recordAccepted(store, messageId, `wamid.out.${n}`, new Date());
      }
    };

    const steps: Step[] = [];
    for (const rate of rates) {
      const inboundIds: string[] = [];
      const acceptedIds: string[] = [];
      const acks: number[] = [];
      let unacknowledged = 0;
      const pending: Promise<void>[] = [];
      const total = rate * seconds;
      await recordSendsFor(total);
      const commandsBefore = sum((await connector.storeCommands()).API);
      const cpuBefore = cpuSeconds(connector.pids.api);
      const sendingFrom = Date.now();
      const start = performance.now();
      for (let i = 0; i < total; i += 1) {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        const { raw, inboundId } = nextWebhook();
        if (inboundId) inboundIds.push(inboundId);
        pending.push(
          post(raw).then(
            ({ ok, ms }) => {
              if (!ok) return void (unacknowledged += 1);
              acks.push(ms);
              if (inboundId) acceptedIds.push(inboundId);
            },
            () => void (unacknowledged += 1),
          ),
        );
      }
      await Promise.all(pending);
      const sendingTo = Date.now();
      await handled.waitAll(acceptedIds, 120_000).catch(() => undefined);
      const cpuAfter = cpuSeconds(connector.pids.api);
      const commandsAfter = sum((await connector.storeCommands()).API);
      const loop = (await connector.apiEventLoop(sendingFrom)).filter((l) => l.at <= sendingTo + 1_000);
      const docs = await handled.timings(acceptedIds);
      const e2e = docs.map((d) => d.handledAt!.getTime() - d.createdAt.getTime());
      const lastHandled = Math.max(...docs.map((d) => d.handledAt!.getTime()));
      const firstReceived = Math.min(...docs.map((d) => d.createdAt.getTime()));
      steps.push({
        offeredWebhooksPerSecond: rate,
        webhooks: total,
        inboundMessages: inboundIds.length,
        unacknowledged,
        acceptedUnhandled: acceptedIds.length - docs.length,
        ackP50Ms: round1(quantile(acks, 0.5)),
        ackP99Ms: round1(quantile(acks, 0.99)),
        ackOver1sPercent: round1((100 * acks.filter((ms) => ms > 1000).length) / Math.max(acks.length, 1)),
        processedMessagesPerSecond: round1((docs.length * 1000) / Math.max(lastHandled - firstReceived, 1)),
        e2eP50Ms: round1(quantile(e2e, 0.5)),
        e2eP99Ms: round1(quantile(e2e, 0.99)),
        apiCpuMsPerWebhook: round1(((cpuAfter - cpuBefore) * 1000) / total),
        apiStoreCommandsPerWebhook: round1((commandsAfter - commandsBefore) / total),
        apiLoopP99Ms: Math.max(0, ...loop.map((l) => l.p99Ms)),
        apiLoopMeanMs: round1(loop.reduce((a, l) => a + l.meanMs, 0) / Math.max(loop.length, 1)),
      });
      console.error(`rate ${rate}/s done`);
    }

    // Closed loop, as fast as it goes: our full path for N customer messages…
    const ours = await closedLoop(ceilingCount, async (i) => {
      const id = `wamid.ceiling.${dbName}.${i}`;
      const raw = JSON.stringify(inboundTextWebhook({ phoneNumberId: BUSINESS, from: String(16660000000 + (i % customers)), text: 'x', wamid: id }));
      const { ok } = await post(raw);
      if (!ok) throw new Error('not acknowledged');
    });
    const oursIds = Array.from({ length: ceilingCount }, (_, i) => `wamid.ceiling.${dbName}.${i}`);
    await handled.waitAll(oursIds, 180_000).catch(() => undefined);
    const oursDocs = await handled.timings(oursIds);
    const oursSpan = Math.max(...oursDocs.map((d) => d.handledAt!.getTime())) - Math.min(...oursDocs.map((d) => d.createdAt.getTime()));
    const oursPerSecond = round1((oursDocs.length * 1000) / oursSpan);

    // …and the raw ceiling: the same number of signal-with-starts to a workflow that does nothing.
    const raw = await rawCeiling(temporalAddress, ceilingCount, customers);
    const large = await largePost(Number(args.large), dbName, post, handled);
    await mongo.close();
    await store.close();

    const result = {
      machine: machine(),
      mix: '1 customer message : 3 status webhooks (sent, delivered, read of a recorded outbound message); rates are webhooks per second',
      customers,
      steps,
      ceiling: { messages: ceilingCount, oursMessagesPerSecond: oursPerSecond, rawSignalWithStartPerSecond: raw, ratio: Math.round((oursPerSecond / raw) * 100) / 100, oursErrors: ours.errors + (ceilingCount - oursDocs.length) },
      large,
    };
    printTable(result);
    saveResult(run, result);
  } finally {
    connector?.stop();
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One customer's `count` messages in one signed POST (compact text messages, as a phone that was offline sends them). */
async function largePost(count: number, dbName: string, post: (raw: string) => Promise<{ ok: boolean; ms: number }>, handled: ReturnType<typeof handledMessages>) {
  const from = '15559990000';
  const at = Math.floor(Date.now() / 1000) - count;
  const ids = Array.from({ length: count }, (_, i) => `wamid.large.${dbName}.${i}`);
  const body = inboundTextWebhook({ phoneNumberId: BUSINESS, from, text: 'x' });
  (body.entry[0]!.changes[0]!.value as { messages: unknown[] }).messages = ids.map((id, i) => ({ from, id, timestamp: String(at + i), type: 'text', text: { body: `m${i}` } }));
  const raw = JSON.stringify(body);
  const started = Date.now();
  const { ok, ms } = await post(raw);
  await handled.waitAll(ids, 600_000).catch(() => undefined);
  const docs = await handled.timings(ids);
  const allHandledMs = docs.length === count ? Math.max(...docs.map((d) => d.handledAt!.getTime())) - started : null;
  console.error(`large POST of ${count} done`);
  return { messages: count, bodyBytes: Buffer.byteLength(raw), acknowledged: ok, ackMs: round1(ms), handled: docs.length, allHandledMs };
}

function printTable(result: { machine: string; mix: string; steps: Step[]; ceiling: Record<string, number>; large: Awaited<ReturnType<typeof largePost>> }): void {
  console.log(`\nIngest benchmark — ${result.machine}\n${result.mix}\n`);
  console.log('offered/s  webhooks  inbound  not acked  lost  ack p50 ms  ack p99 ms  ack >1s %  processed msg/s  e2e p50 ms  e2e p99 ms  API cpu ms/wh  API store cmds/wh  API loop p99 ms  loop mean ms');
  for (const s of result.steps) {
    console.log(
      [s.offeredWebhooksPerSecond, s.webhooks, s.inboundMessages, s.unacknowledged, s.acceptedUnhandled, s.ackP50Ms, s.ackP99Ms, s.ackOver1sPercent, s.processedMessagesPerSecond, s.e2eP50Ms, s.e2eP99Ms, s.apiCpuMsPerWebhook, s.apiStoreCommandsPerWebhook, s.apiLoopP99Ms, s.apiLoopMeanMs]
        .map((v, i) => String(v).padStart([9, 8, 7, 9, 4, 10, 10, 9, 15, 10, 10, 13, 17, 15, 12][i]!))
        .join('  '),
    );
  }
  const c = result.ceiling;
  console.log(`\nClosed loop, ${c.messages} customer messages, 64 in flight: ours ${c.oursMessagesPerSecond} msg/s fully processed; raw signal-with-start ${c.rawSignalWithStartPerSecond}/s; ratio ${c.ratio} (errors ${c.oursErrors})`);
  const l = result.large;
  console.log(`One POST of ${l.messages} messages (${l.bodyBytes} bytes) from one customer: ${l.acknowledged ? 'answered 200' : 'NOT acknowledged'} in ${l.ackMs} ms; ${l.handled} handled, the last ${l.allHandledMs ?? '—'} ms after sending`);
}

runMain(main);
