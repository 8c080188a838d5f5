/**
 * The console's live streams (server-sent events): one shared poll per topic, events only on change, refusals as
 * problems, streams ended on shutdown; then the real routes on the service.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import express from 'express';
import { createLiveFeeds, type Load } from '../../api/console.live';
import { AppError } from '../../lib/errors';
import { saveCall } from '../../store/calls.store';
import { createLogger } from '../../lib/logger';
import { conversationOf } from '../support/console-rig';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

interface Watcher {
  events: { type: string; data: unknown }[];
  close(): void;
}

function watch(url: string, key?: string): Watcher {
  const events: Watcher['events'] = [];
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...(key ? { authorization: `Bearer ${key}` } : {}) } }),
  });
  for (const type of ['snapshot', 'problem']) source.addEventListener(type, (e) => events.push({ type, data: JSON.parse(e.data) }));
  opened.push(source);
  return { events, close: () => source.close() };
}

/** Every source a test opened, closed after it even when it failed (one left open reconnects for ever). */
const opened: EventSource[] = [];
afterEach(() => {
  for (const source of opened.splice(0)) source.close();
});

/** A bare app serving one live topic from `load`, on loopback. */
async function liveApp(load: Load) {
  const shutdown = new AbortController();
  const feeds = createLiveFeeds({ everyMs: 20, logger: createLogger('silent', 'api'), shutdown: shutdown.signal });
  const app = express();
  app.get('/live', (_req, res) => feeds.stream(res, 'topic', load));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/live`;
  return { url, shutdown, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('live feeds', () => {
  it('polls a topic once for everyone watching it', async () => {
    let reads = 0;
    const served = await liveApp(async () => ({ read: (reads += 1) }));
    const [a, b] = [watch(served.url), watch(served.url)];
    await eventually(() => [a.events.length, b.events.length], ([x, y]) => x! >= 1 && y! >= 1);
    const from = Math.max(...[a, b].map((w) => (w.events.at(-1)!.data as { read: number }).read));
    const seenFrom = (w: Watcher) => w.events.map((e) => (e.data as { read: number }).read).filter((n) => n > from);
    await eventually(() => [seenFrom(a).length, seenFrom(b).length], ([x, y]) => x! >= 3 && y! >= 3);
    // With a poll each, two watchers would see different reads; shared, they see the same ones, in order.
    expect(seenFrom(a).slice(0, 3)).toEqual(seenFrom(b).slice(0, 3));
    expect(seenFrom(a).slice(0, 3)).toEqual([from + 1, from + 2, from + 3]);
    a.close();
    b.close();
    served.shutdown.abort();
    await served.close();
  });

  it('sends a snapshot only when it changed, and a failed read as a problem', async () => {
    const answers: (() => unknown)[] = [() => 'a', () => 'a', () => 'a', () => { throw new AppError('unknown_conversation'); }, () => 'b'];
    let read = 0;
    const served = await liveApp(async () => answers[Math.min((read += 1), answers.length) - 1]!());
    const w = watch(served.url);
    await eventually(() => w.events.length, (n) => n >= 3);
    expect(w.events.slice(0, 3)).toEqual([
      { type: 'snapshot', data: 'a' },
      { type: 'problem', data: expect.objectContaining({ status: 404, code: 'unknown_conversation' }) },
      { type: 'snapshot', data: 'b' },
    ]);
    expect(read).toBeGreaterThanOrEqual(5);
    w.close();
    served.shutdown.abort();
    await served.close();
  });

  it('takes no stream for a client that left while it was being let in, and forgets topics nobody watches', async () => {
    const feeds = createLiveFeeds({ everyMs: 20, logger: createLogger('silent', 'api') });
    let arrived!: () => void;
    const inHandler = new Promise<void>((resolve) => (arrived = resolve));
    let handled!: (stats: ReturnType<typeof feeds.stats>) => void;
    const afterStream = new Promise<ReturnType<typeof feeds.stats>>((resolve) => (handled = resolve));
    const app = express();
    app.get('/late', async (_req, res) => {
      // Stands for the API key check, during which the client goes away.
      const left = new Promise((resolve) => res.once('close', resolve));
      arrived();
      await left;
      feeds.stream(res, 'late', async () => 'x');
      handled(feeds.stats());
    });
    app.get('/live', (_req, res) => feeds.stream(res, 'live', async () => 'y'));
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new AbortController();
    const request = fetch(`${base}/late`, { signal: client.signal }).catch(() => 'aborted');
    await inHandler;
    client.abort();
    await expect(request).resolves.toBe('aborted');
    await expect(afterStream).resolves.toEqual({ streams: 0, topics: 0 });

    const w = watch(`${base}/live`);
    await eventually(() => w.events.length, (n) => n >= 1);
    expect(feeds.stats()).toEqual({ streams: 1, topics: 1 });
    w.close();
    await eventually(() => feeds.stats(), (stats) => stats.topics === 0);
    feeds.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('ends every stream on shutdown, so the server can close', async () => {
    const served = await liveApp(async () => 'same');
    const response = await fetch(served.url);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    served.shutdown.abort();
    await expect(ended).resolves.toBe(true);
    await served.close();
  });
  it('carries several topics on one stream, each event tagged, refusals first, and a revoked key as a stream problem', async () => {
    let valid = true;
    const feeds = createLiveFeeds({ everyMs: 20, logger: createLogger('silent', 'api'), recheck: async () => valid });
    const app = express();
    app.get('/page', (_req, res) =>
      feeds.streamMany(res, [{ key: 'a', load: async () => 'A', tag: { topic: 'conversation', conversationId: 'a' } }, { key: 'agent', load: async () => ['x'], tag: { topic: 'agent' } }], {
        owner: { keyId: 'k', keyHash: 'k', role: 'agent' },
        refused: [{ tag: { topic: 'conversation', conversationId: 'b' }, problem: { status: 404, code: 'unknown_conversation' } }],
      }),
    );
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const w = watch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/page`);
    await eventually(() => w.events.length, (n) => n >= 3);
    expect(w.events[0]).toEqual({ type: 'problem', data: { topic: 'conversation', conversationId: 'b', problem: { status: 404, code: 'unknown_conversation' } } });
    expect(w.events.slice(1, 3)).toEqual(expect.arrayContaining([
      { type: 'snapshot', data: { topic: 'conversation', conversationId: 'a', snapshot: 'A' } },
      { type: 'snapshot', data: { topic: 'agent', snapshot: ['x'] } },
    ]));
    // One stream against the caps, however many topics it carries.
    expect(feeds.stats()).toEqual({ streams: 1, topics: 2 });
    valid = false;
    await eventually(() => w.events.at(-1), (e) => e?.type === 'problem' && (e.data as { problem?: { code: string } }).problem?.code === 'unauthenticated');
    expect(w.events.at(-1)!.data).toEqual({ problem: expect.objectContaining({ status: 401, code: 'unauthenticated' }) });
    await eventually(() => feeds.stats(), (stats) => stats.streams === 0 && stats.topics === 0);
    w.close();
    feeds.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('live console routes', () => {
  let rig: ServiceRig;
  beforeAll(async () => {
    rig = await startService();
  }, 60_000);
  afterAll(async () => rig?.stop());

  it('pushes a new conversation onto the board stream and its thread onto its own', async () => {
    const board = watch(`${rig.baseUrl}/v1/console/live/conversations`, rig.keys.supervisor);
    await eventually(() => board.events.length, (n) => n >= 1);
    const customer = String(15557000000 + Math.floor(Math.random() * 900_000));
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Live?' });
    const onBoard = (e: Watcher['events'][number]) => (e.data as { conversations: { conversationId: string }[] }).conversations.some((c) => c.conversationId === conversationOf(customer));
    await eventually(() => board.events, (events) => events.some(onBoard), 15_000);
    board.close();

    const thread = watch(`${rig.baseUrl}/v1/console/live/conversations/${encodeURIComponent(conversationOf(customer))}`, rig.keys.analyst);
    const last = await eventually(() => thread.events.at(-1), (e) => e?.type === 'snapshot', 15_000);
    expect(last!.data).toMatchObject({ conversation: { conversationId: conversationOf(customer) }, messages: [{ direction: 'inbound', text: 'Live?' }] });
    thread.close();
  });

  it('refuses a key that may not watch, as a problem, before any stream', async () => {
    const refused = await rig.requestAs('analyst', 'GET', '/v1/console/live/agent');
    expect(refused).toMatchObject({ status: 403, contentType: expect.stringContaining('application/problem+json'), body: { code: 'forbidden' } });
    expect((await rig.request('GET', '/v1/console/live/templates', undefined, { authorization: 'Bearer wak_nope' })).status).toBe(401);
    // A conversation that does not exist is refused before any stream (and any poll): see test/security/live-streams.test.ts.
    const unknown = await rig.requestAs('analyst', 'GET', `/v1/console/live/conversations/${encodeURIComponent(conversationOf('15550000001'))}`);
    expect(unknown).toMatchObject({ status: 404, body: { code: 'unknown_conversation' } });
  });

  it("streams a page: the conversations asked for, each event naming its own; the agent's list; a conversation the key may not read refused on the stream", async () => {
    const customer = String(15557000000 + Math.floor(Math.random() * 900_000));
    const id = conversationOf(customer);
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'One stream?' });
    await eventually(() => rig.requestAs('analyst', 'GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.status === 200, 15_000);
    const made = conversationOf('15550000002');
    const page = watch(`${rig.baseUrl}/v1/console/live?conversation=${encodeURIComponent(id)}&conversation=${encodeURIComponent(made)}`, rig.keys.analyst);
    const named = (e: Watcher['events'][number] | undefined, conversationId: string) => (e?.data as { conversationId?: string } | undefined)?.conversationId === conversationId;
    await eventually(() => page.events.filter((e) => named(e, id)), (events) => events.some((e) => e.type === 'snapshot'), 15_000);
    expect(page.events.find((e) => named(e, id) && e.type === 'snapshot')!.data).toMatchObject({
      topic: 'conversation',
      conversationId: id,
      snapshot: { conversation: { conversationId: id }, messages: [{ direction: 'inbound', text: 'One stream?' }] },
    });
    expect(page.events.find((e) => named(e, made))).toEqual({ type: 'problem', data: { topic: 'conversation', conversationId: made, problem: expect.objectContaining({ status: 404, code: 'unknown_conversation' }) } });
    // An analyst holds no conversations: no agent topic on its stream.
    expect(page.events.some((e) => (e.data as { topic?: string }).topic === 'agent')).toBe(false);
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Still one stream?' });
    await eventually(() => page.events.filter((e) => named(e, id) && JSON.stringify(e.data).includes('Still one stream?')), (events) => events.length > 0, 15_000);
    page.close();

    // Held by another agent: an agent key (AGENT_VISIBILITY own) is refused it as the one-conversation stream refuses it.
    await rig.store.conversations.updateOne({ _id: id }, { $set: { agentId: 'agent-2' } });
    expect(await rig.requestAs('agent', 'GET', `/v1/console/live/conversations/${encodeURIComponent(id)}`)).toMatchObject({ status: 404, body: { code: 'unknown_conversation' } });
    const agent = watch(`${rig.baseUrl}/v1/console/live?conversation=${encodeURIComponent(id)}`, rig.keys.agent);
    await eventually(() => agent.events.length, (n) => n >= 2, 15_000);
    expect(agent.events).toEqual(expect.arrayContaining([
      { type: 'problem', data: { topic: 'conversation', conversationId: id, problem: expect.objectContaining({ status: 404, code: 'unknown_conversation' }) } },
      { type: 'snapshot', data: { topic: 'agent', snapshot: { conversations: expect.any(Array) } } },
    ]));
    expect(agent.events.some((e) => e.type === 'snapshot' && named(e, id))).toBe(false);
    agent.close();
  });

  it('refuses more conversations than one stream carries before any stream; what is not a conversation id, on the stream as that one id\'s problem', async () => {
    const many = Array.from({ length: 21 }, (_, i) => `conversation=${encodeURIComponent(conversationOf(String(15550000100 + i)))}`).join('&');
    const over = await rig.requestAs('analyst', 'GET', `/v1/console/live?${many}`);
    expect(over).toMatchObject({ status: 400, contentType: expect.stringContaining('application/problem+json'), body: { code: 'too_many_conversations', limit: 20 } });
    // A parameter a stream does not take is named, as on every route (README *Errors*), not ignored.
    for (const path of ['/v1/console/live?conversation=wa%3A1%3A2&page=2', '/v1/console/live/conversations?page=2', '/v1/console/live/templates?limit=5']) {
      const unknown = await rig.requestAs('analyst', 'GET', path);
      expect(unknown).toMatchObject({ status: 400, body: { code: 'invalid_request', errors: [expect.objectContaining({ in: 'query', path: path.endsWith('limit=5') ? 'limit' : 'page' })] } });
    }
    // A stale saved panel list (the console's wa-console-open) holding a malformed id must not take down the others.
    const customer = String(15557000000 + Math.floor(Math.random() * 900_000));
    const id = conversationOf(customer);
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Beside a bad id' });
    await eventually(() => rig.requestAs('analyst', 'GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.status === 200, 15_000);
    const page = watch(`${rig.baseUrl}/v1/console/live?conversation=not-a-conversation&conversation=${encodeURIComponent(id)}`, rig.keys.analyst);
    const named = (e: Watcher['events'][number], conversationId: string) => (e.data as { conversationId?: string }).conversationId === conversationId;
    await eventually(() => page.events, (events) => events.some((e) => named(e, id) && e.type === 'snapshot') && events.some((e) => named(e, 'not-a-conversation')), 15_000);
    expect(page.events.find((e) => named(e, id) && e.type === 'snapshot')!.data).toMatchObject({ snapshot: { messages: [{ text: 'Beside a bad id' }] } });
    expect(page.events.filter((e) => named(e, 'not-a-conversation'))).toEqual([
      { type: 'problem', data: { topic: 'conversation', conversationId: 'not-a-conversation', problem: expect.objectContaining({ status: 400, code: 'invalid_request', errors: [expect.objectContaining({ in: 'query', path: 'conversation' })] }) } },
    ]);
    page.close();
  });

  it("shows an agent only its own calls in a thread another viewer watches too (the topic is the agent's own)", async () => {
    const customer = String(15557000000 + Math.floor(Math.random() * 900_000));
    const id = conversationOf(customer);
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Call me?' });
    await eventually(() => rig.requestAs('analyst', 'GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.status === 200, 15_000);
    const call = { callId: `call-${customer}`, conversationId: id, businessNumberId: BUSINESS_NUMBER_ID, customerNumber: customer, direction: 'user_initiated' as const, phase: 'ended' as const, offeredAt: Date.now(), attempts: 1, queue: 'default', agentId: 'agent-2' };
    await saveCall(rig.store, call, new Date());
    const snapshotOf = (w: Watcher) => w.events.map((e) => e.data as { topic?: string; snapshot?: { calls?: unknown[] }; calls?: unknown[] }).find((d) => d.topic === 'conversation' || Array.isArray(d.calls));
    // A supervisor-like viewer first: it sees every call.
    const analyst = watch(`${rig.baseUrl}/v1/console/live/conversations/${encodeURIComponent(id)}`, rig.keys.analyst);
    expect(await eventually(() => snapshotOf(analyst)?.calls?.length, (n) => n !== undefined, 15_000)).toBe(1);
    const agent = watch(`${rig.baseUrl}/v1/console/live?conversation=${encodeURIComponent(id)}`, rig.keys.agent);
    expect((await eventually(() => snapshotOf(agent), (d) => d !== undefined, 15_000))!.snapshot).toMatchObject({ calls: [], messages: [{ text: 'Call me?' }] });
    analyst.close();
    agent.close();
  });
});
