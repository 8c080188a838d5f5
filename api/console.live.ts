import type { Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../lib/errors';
import { problemOf } from './problem';

/** A snapshot source: what one page shows (the board, a thread…), read from the store or the workflow. */
export type Load = () => Promise<unknown>;

/** The API key a stream was opened with: streams are counted per key and end when the key is revoked or changes role. */
export interface StreamOwner {
  keyId: string;
  keyHash: string;
  role: string;
}

export interface StreamOptions {
  owner?: StreamOwner;
  /**
   * Whether this watcher may see a snapshot (e.g. an agent's conversation handed to another agent): when not, it gets an
   * `unknown_conversation` problem instead, and snapshots again once it may (a transfer can come back to the agent).
   */
  admit?: (snapshot: unknown) => boolean;
}

export interface LiveLimits {
  /** Streams one key may hold open (429 `too_many_streams` past it). */
  perKey: number;
  /** Streams open at once, all keys together. */
  total: number;
  /** Longest a stream stays open, in ms; the client then reconnects, its key checked afresh. */
  maxLifetimeMs: number;
  /** Store reads the live pages may have in flight at once, whatever the number of topics. */
  concurrentReads: number;
}

export const defaultLiveLimits: LiveLimits = { perKey: 16, total: 1_000, maxLifetimeMs: 15 * 60_000, concurrentReads: 2 };

interface Watcher {
  owner?: StreamOwner;
  admit?: (snapshot: unknown) => boolean;
}

interface Topic {
  load: Load;
  last?: { event: 'snapshot' | 'problem'; data: string; value?: unknown };
  watchers: Map<Response, Watcher>;
  reading: boolean;
}

export interface LiveFeeds {
  /** Streams `key`'s snapshots to this response as server-sent events; throws `too_many_streams` past a cap. */
  stream(res: Response, key: string, load: Load, options?: StreamOptions): void;
  /** Ends every stream (so the HTTP server can close) and stops polling. */
  close(): void;
  /** Streams open now, and topics being polled. */
  stats(): { streams: number; topics: number };
}

export interface LiveFeedsDeps {
  everyMs: number;
  logger: Logger;
  shutdown?: AbortSignal;
  limits?: Partial<LiveLimits>;
  /** Whether a stream's key is still live with the same role: asked once per key per round, for every key with a stream open. */
  recheck?: (owner: StreamOwner) => Promise<boolean>;
}

/** At most `n` of the given tasks at once: live reads never take more of the store than this, however many topics. */
function semaphore(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    while (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

const frame = (message: { event: string; data: string }) => `event: ${message.event}\ndata: ${message.data}\n\n`;

/**
 * Live pages by server-sent events. FerretDB has no change streams, so topics are polled server-side: **one round
 * every `everyMs` for all topics**, each topic read once however many watch it, with at most `concurrentReads` reads in
 * flight (a round over many topics takes longer instead of loading the store more). An event goes out only when the
 * snapshot changed; a failed read is a `problem` event and polling goes on. The same round re-checks each key with a
 * stream open (revoked or re-roled: its streams end); every stream ends after `maxLifetimeMs` and the client reconnects.
 */
export function createLiveFeeds({ everyMs, logger, shutdown, limits: given, recheck }: LiveFeedsDeps): LiveFeeds {
  const limits = { ...defaultLiveLimits, ...given };
  const topics = new Map<string, Topic>();
  const ends = new Set<() => void>();
  const perKey = new Map<string, number>();
  const limit = semaphore(limits.concurrentReads);
  let streams = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let rounding = false;

  // A response already ended (shutdown, or the client left a moment ago) must not be written to: that throws.
  const send = (res: Response, text: string) => void (res.writableEnded || res.destroyed || res.write(text));

  /** Writes a snapshot to a watcher it is for; one it does not admit gets a problem in its place. */
  function deliver(res: Response, watcher: Watcher, last: NonNullable<Topic['last']>): void {
    if (last.event === 'snapshot' && watcher.admit && !watcher.admit(last.value)) {
      send(res, frame({ event: 'problem', data: JSON.stringify(problemOf(new AppError('unknown_conversation', 'Not visible to this key now'))) }));
      return;
    }
    send(res, frame(last));
  }

  async function poll(key: string, topic: Topic): Promise<void> {
    if (topic.reading) return;
    topic.reading = true;
    let next: NonNullable<Topic['last']>;
    try {
      const value = await topic.load();
      next = { event: 'snapshot', data: JSON.stringify(value), value };
    } catch (err) {
      const problem = problemOf(err);
      if (problem.code === 'internal') logger.error({ err, topic: key }, 'live console read failed');
      next = { event: 'problem', data: JSON.stringify(problem) };
    } finally {
      topic.reading = false;
    }
    if (topics.get(key) !== topic) return; // everyone left while it was reading
    if (next.event !== topic.last?.event || next.data !== topic.last.data) {
      topic.last = next;
      for (const [res, watcher] of topic.watchers) deliver(res, watcher, next);
    }
  }

  /** Ends the streams of keys that were revoked or changed role since they opened. */
  async function recheckOwners(): Promise<void> {
    if (!recheck) return;
    const owners = new Map<string, StreamOwner>();
    for (const topic of topics.values()) for (const { owner } of topic.watchers.values()) if (owner) owners.set(owner.keyHash, owner);
    await Promise.all(
      [...owners.values()].map((owner) =>
        limit(async () => {
          if (await recheck(owner).catch(() => true)) return; // an unreadable store is no proof of revocation
          const gone = JSON.stringify(problemOf(new AppError('unauthenticated', 'The API key was revoked or changed role')));
          for (const topic of topics.values()) {
            for (const [res, watcher] of topic.watchers) {
              if (watcher.owner?.keyHash !== owner.keyHash) continue;
              send(res, frame({ event: 'problem', data: gone }));
              res.end();
            }
          }
        }),
      ),
    );
  }

  async function round(): Promise<void> {
    rounding = true;
    try {
      await recheckOwners();
      await Promise.all([...topics].map(([key, topic]) => limit(() => poll(key, topic))));
    } finally {
      rounding = false;
      // The next round starts only after this one ended, so a slow store is never asked twice for one topic.
      timer = topics.size > 0 && !closed ? setTimeout(() => void round(), everyMs).unref() : undefined;
    }
  }

  function close(): void {
    closed = true;
    clearTimeout(timer);
    for (const end of [...ends]) end();
    for (const topic of topics.values()) for (const res of topic.watchers.keys()) res.end();
    topics.clear();
  }
  shutdown?.addEventListener('abort', close, { once: true });

  return {
    stream(res, key, load, options = {}) {
      if (closed) throw new AppError('temporarily_unavailable', 'The server is shutting down');
      // The client may have gone while the key was checked: its 'close' has passed, so nothing would ever unsubscribe it.
      if (res.destroyed || res.req.destroyed) return;
      const owner = options.owner;
      const held = owner ? (perKey.get(owner.keyId) ?? 0) : 0;
      if (owner && held >= limits.perKey) throw new AppError('too_many_streams', `This key has ${held} live streams open, its limit; close one first`, { limit: limits.perKey });
      if (streams >= limits.total) throw new AppError('too_many_streams', `The service has ${streams} live streams open, its limit; retry later`, { limit: limits.total });
      streams += 1;
      if (owner) perKey.set(owner.keyId, held + 1);

      res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      // Browsers reconnect after this long when the connection drops; a comment every 15 s keeps proxies from timing out.
      send(res, 'retry: 2000\n\n');
      const heartbeat = setInterval(() => send(res, ': keep-alive\n\n'), 15_000).unref();
      const expire = () => res.end();
      const lifetime = setTimeout(expire, limits.maxLifetimeMs).unref();
      ends.add(expire);

      const watcher: Watcher = { ...(owner ? { owner } : {}), ...(options.admit ? { admit: options.admit } : {}) };
      let topic = topics.get(key);
      if (!topic) {
        topic = { load, watchers: new Map(), reading: false };
        topics.set(key, topic);
        const fresh = topic;
        void limit(() => poll(key, fresh));
        if (!timer && !rounding) timer = setTimeout(() => void round(), everyMs).unref();
      } else if (topic.last) {
        deliver(res, watcher, topic.last);
      }
      topic.watchers.set(res, watcher);
      const joined = topic;
      // The response closes when the client goes away or the stream is ended here.
      res.on('close', () => {
        clearInterval(heartbeat);
        clearTimeout(lifetime);
        ends.delete(expire);
        streams -= 1;
        if (owner) {
          const left = (perKey.get(owner.keyId) ?? 1) - 1;
          if (left > 0) perKey.set(owner.keyId, left);
          else perKey.delete(owner.keyId);
        }
        joined.watchers.delete(res);
        if (joined.watchers.size === 0 && topics.get(key) === joined) topics.delete(key);
      });
    },
    close,
    stats: () => ({ streams: [...topics.values()].reduce((n, t) => n + t.watchers.size, 0), topics: topics.size }),
  };
}
