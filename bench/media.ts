/**
 * `npm run bench:media`: a customer sends a 100 MB document (Meta's largest media) and the connector's worker, a
 * process of its own, fetches it from the broker simulator and streams it into GridFS, checking its sha256 and type.
 * Prints the worker's memory (reported from inside it every second) before, at its peak and after, beside the
 * document's size: flat means the peak does not grow with the document. Then the other way (bench/media-send.ts):
 * an agent's document of --send-mb is sent --runs times, the worker streaming it from GridFS into the broker's media
 * upload; the median of the runs is printed beside each run. Starts its own Temporal dev server and FerretDB (or uses
 * TEMPORAL_ADDRESS / MONGODB_URL). Not a test: it prints figures.
 *
 * Options: --mb 10,100 (received documents' sizes, one run each; --mb 0 skips) --send-mb 100 --runs 3 (--runs 0 skips)
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { startBrokerSimulator } from '../simulator/broker-simulator';
import { issueApiKey } from '../store/api-keys.store';
import { connectStore } from '../store/db';
import { benchSends, type SendRun } from './media-send';
import { BUSINESS, SECRET, machine, median, round1, runMain, saveResult, sleep, startRun, startStack, waitFor } from './bench.support';
import { startIngestConnector } from './bench.connector';

const { values: args } = parseArgs({
  options: { mb: { type: 'string', default: '10,100' }, 'send-mb': { type: 'string', default: '100' }, runs: { type: 'string', default: '3' }, label: { type: 'string', default: 'latest' } },
});
const MB = 1024 * 1024;
const sizes = args.mb.split(',').map((n) => Math.round(Number(n) * MB)).filter((n) => n > 0);
const sendSize = Math.round(Number(args['send-mb']) * MB);
const sendRuns = Number(args.runs);
const CHUNK = 64 * 1024;

/** A PDF of exactly `bytes` bytes, made chunk by chunk each time it is read (never held whole). */
function pdfStream(bytes: number): () => Readable {
  const head = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%', 'latin1');
  const tail = Buffer.from('\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
  const filler = Buffer.alloc(CHUNK, 'x');
  return () =>
    Readable.from(
      (function* () {
        yield head;
        let left = bytes - head.length - tail.length;
        while (left > 0) {
          const n = Math.min(left, CHUNK);
          yield n === CHUNK ? filler : filler.subarray(0, n);
          left -= n;
        }
        yield tail;
      })(),
    );
}

async function sha256Of(open: () => Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of open()) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const mb = (n: number | undefined) => (n === undefined ? NaN : round1(n / MB));

async function main(): Promise<void> {
  const run = startRun('media', args.label);
  const work = mkdtempSync(join(tmpdir(), 'bench-media-'));
  const stack = await startStack(work);
  const simulator = await startBrokerSimulator({ port: 0, accessToken: 'bench', appSecret: SECRET, statusDelayMs: 10 });
  const { connector, dbName } = await startIngestConnector(stack, 'bench_media', { WHATSAPP_API_BASE_URL: simulator.url, WHATSAPP_ACCESS_TOKEN: 'bench' });
  simulator.setWebhookUrl(connector.webhookUrl);
  const client = await MongoClient.connect(stack.mongoUrl);
  const db = client.db(dbName);
  const rows: Record<string, number | string>[] = [];
  try {
    for (const [index, size] of sizes.entries()) {
      const run = index + 1;
      const open = pdfStream(size);
      const sha256 = await sha256Of(open);
      // A small document first, so the worker has loaded its code and the baseline is the worker at rest.
      const warm = await simulator.sendInboundMedia({ phoneNumberId: BUSINESS, from: `1555010${run}000`, type: 'document', bytes: Buffer.concat((await pdfStream(64 * 1024)().toArray()) as Buffer[]), mimeType: 'application/pdf' });
      await waitFor(async () => Boolean((await db.collection('messages').findOne({ _id: warm.wamid as never }))?.document?.mediaId), 120_000);
      await sleep(2_500);
      const before = connector.workerMemory()!;
      let peakRss = before.rss;
      let peakHeap = before.heapUsed;
      const sampler = setInterval(() => {
        const m = connector.workerMemory();
        if (m) [peakRss, peakHeap] = [Math.max(peakRss, m.rss), Math.max(peakHeap, m.heapUsed)];
      }, 250);
      const started = performance.now();
      const sent = await simulator.sendInboundMedia({
        phoneNumberId: BUSINESS,
        from: `1555010${run}001`,
        type: 'document',
        bytes: { open, size, sha256 },
        mimeType: 'application/pdf',
        filename: 'big-manual.pdf',
      });
      let stored: { mediaId?: string; size?: number; problem?: string } | undefined;
      await waitFor(async () => {
        stored = (await db.collection('messages').findOne({ _id: sent.wamid as never }))?.document;
        return Boolean(stored?.mediaId || stored?.problem);
      }, 600_000, 200);
      const seconds = (performance.now() - started) / 1000;
      await sleep(1_500);
      clearInterval(sampler);
      const after = connector.workerMemory()!;
      if (stored?.problem) throw new Error(`the document was refused: ${stored.problem}`);
      const file = await db.collection('media.files').findOne({ _id: stored!.mediaId as never });
      rows.push({
        'document MB': mb(size),
        'stored MB': mb(file?.length as number),
        'webhook → stored s': round1(seconds),
        'MB/s': round1(size / MB / seconds),
        'worker RSS before MB': mb(before.rss),
        'worker RSS peak MB': mb(peakRss),
        'worker RSS after MB': mb(after.rss),
        'worker heap before MB': mb(before.heapUsed),
        'worker heap peak MB': mb(peakHeap),
      });
    }
    console.log(`bench:media — ${machine()}`);
    if (rows.length > 0) {
      console.log('Received (customer → broker → worker → GridFS):');
      console.table(rows);
      console.log('RSS peak − before is what storing the document cost the worker in memory; the document itself is never held.');
    }
    if (sendRuns > 0) {
      const store = await connectStore(stack.mongoUrl, dbName);
      const { key } = await issueApiKey(store, 'integrator', 'bench', 'bench:media');
      await store.close();
      const small = pdfStream(64 * 1024);
      const document = pdfStream(sendSize);
      const sends: (SendRun | Record<string, number | string>)[] = await benchSends({ connector, simulator, apiKey: key }, sendSize, sendRuns, { open: document, sha256: await sha256Of(document) }, small, 64 * 1024);
      const column = (name: keyof SendRun) => round1(median(sends.map((r) => r[name] as number)));
      sends.push({ 'document MB': mb(sendSize), run: 'median', 'send → broker has it s': column('send → broker has it s'), 'worker RSS before MB': column('worker RSS before MB'), 'worker RSS peak MB': column('worker RSS peak MB'), 'worker RSS after MB': column('worker RSS after MB'), 'worker RSS peak − before MB': column('worker RSS peak − before MB'), 'worker buffers before MB': column('worker buffers before MB'), 'worker buffers peak MB': column('worker buffers peak MB') });
      console.log('Sent (agent upload → GridFS → worker → broker media upload), sha256 checked on the broker side:');
      console.table(sends);
      saveResult(run, { machine: machine(), received: rows, sent: sends });
    } else saveResult(run, { machine: machine(), received: rows });
  } finally {
    await client.close();
    connector.stop();
    await simulator.close();
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

runMain(main);
