/**
 * The outbound half of `npm run bench:media`: an agent's document, uploaded to the API (streamed into GridFS), is sent
 * to a customer, and the worker streams it from GridFS into the broker's media upload (multipart, exact
 * Content-Length). Per run: the worker's RSS before the send, at its peak and after, and the check that the broker
 * received the very bytes uploaded (sha256).
 */
import type { Readable } from 'node:stream';
import type { BrokerSimulator } from '../simulator/broker-simulator';
import { mediaUploadBody } from '../integrations/broker/media-upload';
import { BUSINESS, round1, sleep, waitFor } from './bench.support';
import { type Connector } from './bench.connector';

const MB = 1024 * 1024;
const mb = (n: number) => round1(n / MB);

export interface SendRun {
  'document MB': number;
  run: number;
  'send → broker has it s': number;
  'worker RSS before MB': number;
  'worker RSS peak MB': number;
  'worker RSS after MB': number;
  'worker RSS peak − before MB': number;
  /** Buffers outside the JS heap (`arrayBuffers`, garbage not yet collected included): where a buffered document would sit. */
  'worker buffers before MB': number;
  'worker buffers peak MB': number;
}

interface Context {
  connector: Connector;
  simulator: BrokerSimulator;
  /** An integrator key for the API. */
  apiKey: string;
}

async function api(ctx: Context, method: string, path: string, body?: unknown, extra: RequestInit = {}): Promise<Record<string, unknown>> {
  const init = { method, headers: { authorization: `Bearer ${ctx.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...extra };
  const response = await fetch(`${ctx.connector.apiUrl}${path}`, init as RequestInit);
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Uploads a document to the connector's API, streamed from `open`: answers our media id. */
async function uploadDocument(ctx: Context, open: () => Readable, size: number): Promise<string> {
  const { headers, body } = mediaUploadBody({ open, size, mimeType: 'application/pdf', filename: 'big-manual.pdf' });
  const answer = await api(ctx, 'POST', '/v1/media', undefined, { headers: { authorization: `Bearer ${ctx.apiKey}`, ...headers }, body: body as never, duplex: 'half' } as RequestInit);
  return answer.mediaId as string;
}

/** A customer who wrote (so the window is open); answers the conversation's API path. */
async function customerWrote(ctx: Context, customer: string): Promise<string> {
  await ctx.simulator.sendInboundText({ phoneNumberId: BUSINESS, from: customer, text: 'Could you send me the manual?' });
  const path = `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS}:${customer}`)}`;
  await waitFor(async () => (await fetch(`${ctx.connector.apiUrl}${path}`, { headers: { authorization: `Bearer ${ctx.apiKey}` } }).then((r) => r.json()) as { state?: string }).state === 'openSession', 60_000);
  return path;
}

/** Sends the uploaded document and waits until the broker accepted the send; answers the broker's media id. */
async function sendAndWait(ctx: Context, path: string, customer: string, mediaId: string): Promise<string> {
  await api(ctx, 'POST', `${path}/messages`, { message: { type: 'document', mediaId, filename: 'big-manual.pdf' } });
  let brokerId = '';
  await waitFor(async () => {
    const sent = ctx.simulator.sent().find((m) => m.to === customer && m.type === 'document');
    brokerId = (sent?.body.document as { id?: string } | undefined)?.id ?? '';
    return brokerId !== '';
  }, 600_000, 200);
  return brokerId;
}

/**
 * `runs` sends of a `size`-byte document (each to a new customer, each uploaded afresh so nothing is cached), after
 * one small send that loads the worker's code. Throws if the broker's bytes differ from the document's.
 */
export async function benchSends(ctx: Context, size: number, runs: number, document: { open: () => Readable; sha256: string }, small: () => Readable, smallSize: number): Promise<SendRun[]> {
  const warmCustomer = `155502${String(size).slice(0, 4)}00`;
  await sendAndWait(ctx, await customerWrote(ctx, warmCustomer), warmCustomer, await uploadDocument(ctx, small, smallSize));
  const rows: SendRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const customer = `155502${String(size).slice(0, 4)}${String(run).padStart(2, '0')}`;
    const path = await customerWrote(ctx, customer);
    const mediaId = await uploadDocument(ctx, document.open, size);
    await sleep(2_500);
    const before = ctx.connector.workerMemory()!;
    let [peak, buffers] = [before.rss, before.arrayBuffers];
    const sampler = setInterval(() => {
      const now = ctx.connector.workerMemory();
      if (now) [peak, buffers] = [Math.max(peak, now.rss), Math.max(buffers, now.arrayBuffers)];
    }, 250);
    const started = performance.now();
    const brokerId = await sendAndWait(ctx, path, customer, mediaId);
    const seconds = (performance.now() - started) / 1000;
    await sleep(1_500);
    clearInterval(sampler);
    const after = ctx.connector.workerMemory()!;
    const received = ctx.simulator.uploads().find((u) => u.mediaId === brokerId);
    if (received?.sha256 !== document.sha256 || received.size !== size) throw new Error(`the broker received other bytes: ${JSON.stringify(received)}`);
    // Meta's DELETE /{media id}: the simulator (in this process) lets go of the 100 MB it kept.
    await fetch(`${ctx.simulator.url}/v23.0/${brokerId}`, { method: 'DELETE', headers: { authorization: 'Bearer bench' } });
    rows.push({
      'document MB': mb(size),
      run,
      'send → broker has it s': round1(seconds),
      'worker RSS before MB': mb(before.rss),
      'worker RSS peak MB': mb(peak),
      'worker RSS after MB': mb(after.rss),
      'worker RSS peak − before MB': mb(peak - before.rss),
      'worker buffers before MB': mb(before.arrayBuffers),
      'worker buffers peak MB': mb(buffers),
    });
  }
  return rows;
}
