/**
 * `npm run bench:scale`: many concurrent conversations on one worker with a bounded workflow cache.
 *
 * Opens `--conversations` conversations (one customer message each, through the signed webhook like the broker's),
 * then reports the worker's RSS and heap (the cache holds `--cache` of them; the rest are evicted and rebuilt by
 * replay when they next get a message), Temporal's and FerretDB's disk per conversation (the dev server's SQLite
 * file and FerretDB's data folder, before and after), and the time to deliver one message into a conversation that
 * was evicted from the cache against one still in it (webhook accepted → stored and handled by the workflow),
 * the median over `--samples`. Every `--window` conversations handled it reports the rate over that window and, per
 * store command the API and worker sent, how many per conversation and their mean time (bench/scale.windows.ts), so a
 * command that grows with the store shows; the same for the one more message. Starts its own persisted dev server
 * and FerretDB 1.24 (SQLite; their disk is measured), or uses the ones at `TEMPORAL_ADDRESS` / `MONGODB_URL`.
 *
 * Options: --conversations 10000  --cache 2000  --samples 9  --concurrency 32  --window 10000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { addCosts, commandCosts, perSample, printCosts, type CommandCosts } from './scale.windows';
import { closedLoop, diskBytes, handledMessages, machine, median, round1, sleep, startStack, waitFor, runMain, saveResult, startRun } from './bench.support';
import { postInbound, startIngestConnector } from './bench.connector';

const { values: args } = parseArgs({
  options: {
    conversations: { type: 'string', default: '10000' },
    cache: { type: 'string', default: '2000' },
    samples: { type: 'string', default: '9' },
    concurrency: { type: 'string', default: '32' },
    window: { type: 'string', default: '10000' },
    label: { type: 'string', default: 'latest' },
  },
});
const conversations = Number(args.conversations);
const cache = Number(args.cache);
const samples = Number(args.samples);
const window = Number(args.window);
const MB = 1024 * 1024;
const customerOf = (i: number) => String(15550000000 + i);

async function main(): Promise<void> {
  const run = startRun('scale', args.label);
  const work = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  const stack = await startStack(work);
  const { connector, dbName } = await startIngestConnector(stack, 'scale', { WORKER_MAX_CACHED_WORKFLOWS: String(cache) });
  const mongo = await MongoClient.connect(stack.mongoUrl);
  const messages = handledMessages(mongo.db(dbName));
  const handled = messages.isHandled;
  try {
    // One conversation first, so collections, indexes and the task queue exist before the "before" figures.
    await postInbound(connector.webhookUrl, { from: '15559999999', wamid: 'wamid.scale.warmup', text: 'warm up' });
    await waitFor(() => handled('wamid.scale.warmup'), 60_000);
    await sleep(3_000);
    const before = { temporal: diskBytes(work, 'temporal.db'), store: diskBytes(stack.ferretDir), worker: connector.workerMemory()! };

    console.error(`opening ${conversations} conversations (workflow cache ${cache})…`);
    const started = Date.now();
    // Every `--window` conversations handled: the rate over that window and what each store command cost in it.
    const windows: { upTo: number; seconds: number; conversationsPerSecond: number; workerRssMb: number; workerPeakRssMb: number; storeCommands: CommandCosts }[] = [];
    let windowStart = { at: started, probe: await connector.storeCommandTimes(), handled: 0 };
    const closeWindow = async (handledNow: number, at: number) => {
      const probe = await connector.storeCommandTimes();
      const seconds = (at - windowStart.at) / 1000;
      const n = handledNow - windowStart.handled;
      // The worker's RSS as the window closes and its peak so far: flat once the workflow cache is full, or not.
      const workerRssMb = round1((connector.workerMemory()?.rss ?? 0) / MB);
      const workerPeakRssMb = round1(connector.workerPeakRss() / MB);
      windows.push({ upTo: handledNow, seconds: round1(seconds), conversationsPerSecond: round1(n / seconds), workerRssMb, workerPeakRssMb, storeCommands: commandCosts(windowStart.probe, probe, n) });
      console.error(`  window to ${handledNow}: ${round1(n / seconds)}/s; worker RSS ${workerRssMb} MB (peak ${workerPeakRssMb}); store commands: ${JSON.stringify(windows.at(-1)!.storeCommands)}`);
      windowStart = { at, probe, handled: handledNow };
    };
    // A conversation is opened when its first message is handled: each of the `--concurrency` lanes sends one and
    // waits for its handled marker (an `_id` read, backing off to 1 s) before the next, so the API cannot run ahead of
    // the worker and each window's rate is of conversations handled. Windows close in this process's own count.
    let handledCount = 0;
    let closing = Promise.resolve();
    const opened = await closedLoop(
      conversations,
      async (i) => {
        const wamid = `wamid.scale.${i}`;
        await postInbound(connector.webhookUrl, { from: customerOf(i), wamid, text: `hello ${i}` });
        for (let wait = 100; !(await handled(wamid).catch(() => false)); wait = Math.min(wait * 2, 1_000)) {
          if (Date.now() - started > 4 * 60 * 60_000) throw new Error(`${wamid} not handled after 4 hours`);
          await sleep(wait);
        }
        handledCount += 1;
        if (handledCount % window === 0 || handledCount === conversations) {
          const [upTo, at] = [handledCount, Date.now()];
          closing = closing.then(() => closeWindow(upTo, at));
        }
        if (handledCount % 1000 === 0) console.error(`  ${handledCount} handled after ${Math.round((Date.now() - started) / 1000)} s`);
      },
      Number(args.concurrency),
    );
    await closing;
    if (opened.errors > 0) console.error(`  ${opened.errors} conversations failed to open`);
    const openSeconds = (Date.now() - started) / 1000;
    await sleep(5_000); // let the dev server and FerretDB settle their write-ahead logs
    const after = { temporal: diskBytes(work, 'temporal.db'), store: diskBytes(stack.ferretDir), worker: connector.workerMemory()! };

    // One message into the oldest conversations (evicted: the cache holds the newest) and into the newest (cached),
    // alternately and one at a time, so both see the same machine.
    const evicted: number[] = [];
    const cached: number[] = [];
    const evictedCosts = new Map<string, { n: number; ms: number }>();
    const cachedCosts = new Map<string, { n: number; ms: number }>();
    for (let k = 0; k < samples; k += 1) {
      for (const [index, into, costs] of [[k, evicted, evictedCosts], [conversations - 1 - k, cached, cachedCosts]] as const) {
        const wamid = `wamid.scale.again.${index}`;
        const probe = await connector.storeCommandTimes();
        await postInbound(connector.webhookUrl, { from: customerOf(index), wamid, text: 'one more thing' });
        await waitFor(() => handled(wamid), 60_000, 5);
        const doc = (await messages.timing(wamid))!;
        into.push(doc.handledAt!.getTime() - doc.createdAt.getTime());
        addCosts(costs, probe, await connector.storeCommandTimes());
      }
    }

    const n = conversations;
    const result = {
      machine: machine(),
      conversations: n,
      workflowCache: cache,
      opening: { seconds: round1(openSeconds), conversationsPerSecond: round1(n / openSeconds), errors: opened.errors, window, windows },
      worker: {
        rssMbBefore: round1(before.worker.rss / MB),
        rssMbAfter: round1(after.worker.rss / MB),
        rssMbPeak: round1(connector.workerPeakRss() / MB),
        heapUsedMbAfter: round1(after.worker.heapUsed / MB),
        heapTotalMbAfter: round1(after.worker.heapTotal / MB),
      },
      disk: {
        temporalMb: round1((after.temporal - before.temporal) / MB),
        temporalKbPerConversation: round1((after.temporal - before.temporal) / 1024 / n),
        // The store's files are measured only when this benchmark started it (FerretDB); null for MONGODB_URL.
        storeMb: stack.ferretDir ? round1((after.store - before.store) / MB) : null,
        storeKbPerConversation: stack.ferretDir ? round1((after.store - before.store) / 1024 / n) : null,
      },
      deliverOneMessage: {
        samples,
        evictedMedianMs: round1(median(evicted)),
        cachedMedianMs: round1(median(cached)),
        evictedMs: evicted,
        cachedMs: cached,
        evictedStoreCommands: perSample(evictedCosts, samples),
        cachedStoreCommands: perSample(cachedCosts, samples),
      },
    };
    print(result);
    saveResult(run, result);
  } finally {
    await mongo.close();
    connector.stop();
    await sleep(1_000);
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function print(r: {
  machine: string;
  conversations: number;
  workflowCache: number;
  opening: { seconds: number; conversationsPerSecond: number; errors: number; windows: { upTo: number; seconds: number; conversationsPerSecond: number; workerRssMb: number; workerPeakRssMb: number; storeCommands: CommandCosts }[] };
  worker: Record<string, number>;
  disk: Record<string, number | null>;
  deliverOneMessage: { samples: number; evictedMedianMs: number; cachedMedianMs: number; evictedStoreCommands: Record<string, { perMessage: number; meanMs: number }> };
}): void {
  const w = r.worker;
  const d = r.disk;
  const m = r.deliverOneMessage;
  console.log(`\nScale benchmark — ${r.machine}\n`);
  console.log(`conversations opened            ${r.conversations} in ${r.opening.seconds} s (${r.opening.conversationsPerSecond}/s, errors ${r.opening.errors})`);
  for (const w of r.opening.windows) printCosts(`  to ${w.upTo}: ${w.conversationsPerSecond}/s over ${w.seconds} s, worker RSS ${w.workerRssMb} MB (peak ${w.workerPeakRssMb}); store commands per conversation × mean`, w.storeCommands);
  console.log(`worker workflow cache           ${r.workflowCache} workflows (maxCachedWorkflows)`);
  console.log(`worker RSS                      ${w.rssMbBefore} MB before → ${w.rssMbAfter} MB after (peak ${w.rssMbPeak} MB)`);
  console.log(`worker heap after               ${w.heapUsedMbAfter} MB used of ${w.heapTotalMbAfter} MB`);
  console.log(`Temporal disk (dev server SQLite) +${d.temporalMb} MB = ${d.temporalKbPerConversation} KB per conversation`);
  if (d.storeMb !== null) console.log(`store disk (FerretDB SQLite)    +${d.storeMb} MB = ${d.storeKbPerConversation} KB per conversation`);
  else console.log('store disk                      not measured (the store at MONGODB_URL is not this machine\'s files)');
  console.log(`one message, accepted → handled  evicted ${m.evictedMedianMs} ms, cached ${m.cachedMedianMs} ms (medians of ${m.samples})`);
  printCosts('  into an evicted conversation, store commands per message × mean', m.evictedStoreCommands);
}

runMain(main);
