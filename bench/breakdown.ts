/**
 * `npm run bench:breakdown`: where one inbound message's time goes, on its way webhook → store → signal-with-start
 * → workflow task → local activities (settings read, projection) → handled.
 *
 * Drives customer messages through the connector (API and worker as child processes, own persisted dev server and
 * FerretDB, or the ones at `TEMPORAL_ADDRESS` / `MONGODB_URL`), paced (`--rate` per second, below saturation) and then closed loop (`--closed` messages, 64 in flight),
 * and splits each message's time with clocks that all live on this machine: the load generator's send and
 * acknowledgement, the API's receipt (`createdAt`), Temporal's history (the signal event, the workflow task that
 * took it: scheduled, started, completed) and the projection's write (`handledAt`). Prints medians and p90s per
 * segment, and the closed loop's budget per handled message (bench/breakdown.budget.ts): CPU-seconds of each
 * process (load generator, API, worker, Temporal dev server, FerretDB; a server given by address is not measured),
 * store commands by name (the load generator's own reads taken out) and, as the API and worker count them
 * (bench/store.probe.ts), by process, command and collection; and history events by type. Writes
 * bench/results/breakdown-<label>.json (`--label` names the run; `npm run bench:compare` puts two side by side).
 *
 * Then, unless `--floor false`, the accept path alone: as many webhooks with the worker stopped (SIGSTOP), so only the
 * load generator, the API, the store insert and the signal-with-start run; its acknowledgements per second against the
 * raw ceiling, its CPU per message, and what 0.8 of the raw ceiling leaves for handling a message (cores ÷ (0.8 × raw)
 * − the accept path's CPU), beside what handling costs now (the closed loop's CPU − the accept path's).
 *
 * Options: --rate 10  --paced 200  --closed 1000  --customers 50  --floor true  --label baseline
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { MongoClient } from 'mongodb';
import { countOwnCommands, startBudget, type Budget } from './breakdown.budget';
import { rawCeiling } from './raw-ceiling';
import { BUSINESS, benchDataConverter, closedLoop, machine, quantile, round1, runMain, saveResult, sleep, startRun, startStack, handledMessages, waitFor } from './bench.support';
import { postInbound, startIngestConnector } from './bench.connector';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '10' },
    paced: { type: 'string', default: '200' },
    closed: { type: 'string', default: '1000' },
    customers: { type: 'string', default: '50' },
    floor: { type: 'string', default: 'true' },
    label: { type: 'string', default: 'run' },
  },
});
const customers = Number(args.customers);

interface Sample {
  wamid: string;
  customer: string;
  sentAt: number;
  ackedAt: number;
}
interface HistoryEvent {
  eventType: string;
  eventTime: string;
  workflowExecutionSignaledEventAttributes?: { input?: { payloads?: { metadata?: Record<string, string>; data?: string }[] } };
}
// Temporal stamps an event when it creates it, before its own write commits: that write falls in the third segment.
const SEGMENTS = [
  'http in (send → API receipt)',
  'store insert + signal-with-start call',
  'Temporal commit + answer → 200',
  'queue (signal → task started)',
  'task: settings read → projection',
  'projection writes + task completion',
  'accepted → handled',
  'webhook send → task completed',
] as const;

async function main(): Promise<void> {
  const run = startRun('breakdown', args.label);
  const work = mkdtempSync(join(tmpdir(), 'bench-breakdown-'));
  const stack = await startStack(work);
  const { connector, dbName } = await startIngestConnector(stack, 'breakdown');
  const mongo = await MongoClient.connect(stack.mongoUrl, { monitorCommands: true });
  const ownCommands = countOwnCommands(mongo);
  const pids = { 'load generator': process.pid, API: connector.pids.api, worker: connector.pids.worker, 'Temporal dev server': stack.pids.temporal, store: stack.pids.store };
  const handled = handledMessages(mongo.db(dbName));
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, dataConverter: benchDataConverter });
  let sequence = 0;
  const send = async (): Promise<Sample> => {
    sequence += 1;
    const customer = String(15550000000 + (sequence % customers));
    const wamid = `wamid.breakdown.${sequence}`;
    const sentAt = Date.now();
    await postInbound(connector.webhookUrl, { from: customer, wamid, text: `message ${sequence}` });
    return { wamid, customer, sentAt, ackedAt: Date.now() };
  };
  const allHandled = (samples: Sample[]) => handled.waitAll(samples.map((s) => s.wamid), 600_000);
  // Each conversation handles its messages in the order they were signalled, so while a phase's budget is open only the
  // last message acknowledged per customer is polled: walking through every one made the load generator and the store
  // serve a look-up per message inside the measured window. The rest are checked after the budget is read.
  const lastOfEach = (samples: Sample[]) => handled.waitAll([...new Map(samples.map((s) => [s.customer, s.wamid])).values()], 600_000);

  try {
    // Every customer's conversation exists first: the figures are for messages into running conversations.
    await closedLoop(customers, async () => void (await send()), 8);
    await handled.waitAll(Array.from({ length: customers }, (_, i) => `wamid.breakdown.${i + 1}`), 120_000);

    const probe = { pids, db: mongo.db(dbName), ownCommands, client, connectorCommands: connector.storeCommands, workflowIds: Array.from({ length: customers }, (_, i) => `wa:${BUSINESS}:${15550000000 + i}`) };
    const pacedBudget = await startBudget(probe);
    const paced: Sample[] = [];
    const started = performance.now();
    for (let i = 0; i < Number(args.paced); i += 1) {
      const wait = started + (i * 1000) / Number(args.rate) - performance.now();
      if (wait > 1) await sleep(wait);
      void send().then((s) => paced.push(s));
    }
    await waitFor(async () => paced.length === Number(args.paced), 120_000);
    await lastOfEach(paced);
    const pacedPerMessage = await pacedBudget(paced.length);
    await allHandled(paced);

    // The issue's yardstick in the same run: as many signal-with-starts to a workflow that does nothing, just before
    // and just after the closed loop (the machine is shared: the mean of the two is what the loop is compared with).
    const rawBefore = await rawCeiling(stack.temporalAddress, Number(args.closed), customers);
    const closedBudget = await startBudget(probe);
    const closed: Sample[] = [];
    const loop = await closedLoop(Number(args.closed), async () => void closed.push(await send()));
    await lastOfEach(closed);
    const closedPerMessage = await closedBudget(closed.length);
    await allHandled(closed);
    const docs = await handled.timings(closed.map((s) => s.wamid));
    const span = Math.max(...docs.map((d) => d.handledAt!.getTime())) - Math.min(...docs.map((d) => d.createdAt.getTime()));
    const processedPerSecond = round1((docs.length * 1000) / span);
    const rawAfter = await rawCeiling(stack.temporalAddress, Number(args.closed), customers);
    const raw = round1((rawBefore + rawAfter) / 2);
    const floor = args.floor === 'false' ? undefined : await acceptOnly(raw, closedPerMessage.cpuSeconds.total ?? NaN);

    const result = {
      label: args.label,
      machine: machine(),
      paced: { ratePerSecond: Number(args.rate), messages: paced.length, segmentsMs: await segments(paced) },
      closed: {
        messages: closed.length,
        inFlight: 64,
        errors: loop.errors,
        processedPerSecond,
        rawSignalWithStartPerSecond: raw,
        rawBeforeAndAfter: [rawBefore, rawAfter],
        ratioToRawCeiling: Math.round((processedPerSecond / raw) * 100) / 100,
        segmentsMs: await segments(closed.filter((_, i) => i % 5 === 0)),
      },
      perHandledMessage: { paced: pacedPerMessage, closed: closedPerMessage },
      ...(floor ? { acceptOnly: floor } : {}),
    };
    print(result);
    saveResult(run, result);
  } finally {
    await mongo.close();
    await connection.close();
    connector.stop();
    await sleep(1_000);
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }

  /**
   * The accept path alone: the closed loop again with the worker stopped, so no message is handled until it resumes
   * (then every one is, before the next phase). CPU-seconds per accepted message, and the handling budget at 0.8.
   */
  async function acceptOnly(raw: number, closedCpu: number) {
    // A stopped worker cannot answer its probe: the store's own counters stand for the connector's.
    const probe = { pids, db: mongo.db(dbName), ownCommands, client, connectorCommands: async () => ({}), workflowIds: [] };
    const samples: Sample[] = [];
    process.kill(connector.pids.worker, 'SIGSTOP');
    let loop, perMessage;
    try {
      const budget = await startBudget(probe);
      loop = await closedLoop(Number(args.closed), async () => void samples.push(await send()));
      perMessage = await budget(samples.length);
    } finally {
      process.kill(connector.pids.worker, 'SIGCONT');
    }
    await allHandled(samples);
    const acceptCpu = perMessage.cpuSeconds.total ?? NaN;
    const cores = cpus().length;
    const ms = (seconds: number) => Math.round(seconds * 10_000) / 10;
    return {
      messages: samples.length,
      errors: loop.errors,
      acknowledgedPerSecond: round1(loop.perSecond),
      ratioToRawCeiling: Math.round((loop.perSecond / raw) * 100) / 100,
      cpuSeconds: perMessage.cpuSeconds,
      handlingCpuMsNow: ms(closedCpu - acceptCpu),
      handlingCpuMsLeftAt08: ms(cores / (0.8 * raw) - acceptCpu),
    };
  }

  /** Per segment, the median and p90 over the samples, from their documents and their conversations' histories. */
  async function segments(samples: Sample[]): Promise<Record<string, { p50: number; p90: number }>> {
    const histories = new Map<string, HistoryEvent[]>();
    const values: Record<string, number[]> = Object.fromEntries(SEGMENTS.map((s) => [s, []]));
    for (const sample of samples) {
      const workflowId = `wa:${BUSINESS}:${sample.customer}`;
      if (!histories.has(workflowId)) {
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        histories.set(workflowId, (JSON.parse(historyToJSON(history)) as { events: HistoryEvent[] }).events);
      }
      const events = histories.get(workflowId)!;
      const ids = await Promise.all(events.map((e) => (e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED' ? signalledId(e) : undefined)));
      const signalAt = ids.indexOf(sample.wamid);
      const after = (type: string) => events.slice(signalAt).find((e) => e.eventType === type);
      const started = after('EVENT_TYPE_WORKFLOW_TASK_STARTED');
      const completed = after('EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
      const doc = await handled.timing(sample.wamid);
      if (signalAt < 0 || !started || !completed || !doc) continue;
      const t = (e: HistoryEvent) => Date.parse(e.eventTime);
      const signalled = t(events[signalAt]!);
      const parts = [
        doc.createdAt.getTime() - sample.sentAt,
        signalled - doc.createdAt.getTime(),
        sample.ackedAt - signalled,
        t(started) - signalled,
        doc.handledAt.getTime() - t(started),
        t(completed) - doc.handledAt.getTime(),
        doc.handledAt.getTime() - doc.createdAt.getTime(),
        t(completed) - sample.sentAt,
      ];
      SEGMENTS.forEach((name, i) => values[name]!.push(parts[i]!));
    }
    return Object.fromEntries(SEGMENTS.map((name) => [name, { p50: round1(quantile(values[name]!, 0.5)), p90: round1(quantile(values[name]!, 0.9)) }]));
  }
}

/** The signalled message's id; the payload is encrypted like every other, so it is decoded with the bench's key. */
async function signalledId(event: HistoryEvent): Promise<string | undefined> {
  const payload = event.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
  if (!payload?.data) return undefined;
  const fromJson = (b64: string | undefined) => (b64 === undefined ? undefined : Buffer.from(b64, 'base64'));
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, fromJson(v)!]));
  const [plain] = await benchDataConverter.payloadCodecs![0]!.decode([{ metadata, data: fromJson(payload.data) }]);
  return (JSON.parse(Buffer.from(plain!.data!).toString('utf8')) as { messageId?: string }).messageId;
}

function print(r: { label: string; machine: string; perHandledMessage: { paced: Budget; closed: Budget }; paced: { ratePerSecond: number; segmentsMs: Record<string, { p50: number; p90: number }> }; closed: { processedPerSecond: number; rawSignalWithStartPerSecond: number; rawBeforeAndAfter: number[]; ratioToRawCeiling: number; errors: number; segmentsMs: Record<string, { p50: number; p90: number }> }; acceptOnly?: { acknowledgedPerSecond: number; ratioToRawCeiling: number; cpuSeconds: Record<string, number>; handlingCpuMsNow: number; handlingCpuMsLeftAt08: number } }): void {
  console.log(`\nInbound message breakdown (${r.label}) — ${r.machine}\n`);
  console.log(`${'segment'.padEnd(38)}  paced ${r.paced.ratePerSecond}/s p50 / p90 ms   closed loop p50 / p90 ms`);
  for (const name of SEGMENTS) {
    const p = r.paced.segmentsMs[name]!;
    const c = r.closed.segmentsMs[name]!;
    console.log(`${name.padEnd(38)}  ${`${p.p50} / ${p.p90}`.padStart(24)}   ${`${c.p50} / ${c.p90}`.padStart(24)}`);
  }
  console.log(`\nClosed loop (64 in flight): ${r.closed.processedPerSecond} customer messages/s fully processed (errors ${r.closed.errors})`);
  if (r.acceptOnly) {
    const a = r.acceptOnly;
    console.log(`Accept path alone (worker stopped): ${a.acknowledgedPerSecond} webhooks/s acknowledged, ratio ${a.ratioToRawCeiling}; CPU-ms per message ${Object.entries(a.cpuSeconds).map(([k, v]) => `${k} ${round1(v * 1000)}`).join(', ')}`);
    console.log(`Handling a message costs ${a.handlingCpuMsNow} CPU-ms beyond the accept path; 0.8 of the raw ceiling leaves ${a.handlingCpuMsLeftAt08}`);
  }
  console.log(`Raw ceiling, same run: ${r.closed.rawSignalWithStartPerSecond} signal-with-starts/s to a no-op workflow (mean of ${r.closed.rawBeforeAndAfter.join(' before and ')} after); ratio ${r.closed.ratioToRawCeiling}`);
  console.log(`
${'per handled message'.padEnd(38)}  ${'paced'.padStart(10)}  ${'closed loop'.padStart(12)}`);
  const { paced, closed } = r.perHandledMessage;
  for (const what of ['cpuSeconds', 'storeCommands', 'storeCommandsByCollection', 'historyEvents'] as const) {
    const names = [...new Set([...Object.keys(paced[what]), ...Object.keys(closed[what])])].filter((k) => k !== 'total');
    names.sort((a, b) => (closed[what][b] ?? 0) - (closed[what][a] ?? 0));
    for (const name of ['total', ...names]) {
      const label = name === 'total' ? `${what} total` : `  ${name}`;
      console.log(`${label.padEnd(38)}  ${String(paced[what][name] ?? 0).padStart(10)}  ${String(closed[what][name] ?? 0).padStart(12)}`);
    }
  }
}

runMain(main);
