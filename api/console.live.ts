import type { Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../lib/errors';
import { frame, openEventStream, tagged, type LiveEvent, type OpenStream, type StreamOwner } from './console.live-stream';
import { problemOf } from './problem';

export type { StreamOwner } from './console.live-stream';

/** A snapshot source: what one page shows (the board, a thread…), read from the store or the workflow. */
export type Load = () => Promise<unknown>;

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
  /** Topics (conversations) one multiplexed stream may carry (400 `too_many_conversations` past it). */
  topicsPerStream: number;
}

export const defaultLiveLimits: LiveLimits = { perKey: 16, total: 1_000, maxLifetimeMs: 15 * 60_000, concurrentReads: 2, topicsPerStream: 20 };

/** One topic's place on one stream: where its events go and how they are framed there. */
interface Watcher {
  admit?: ((snapshot: unknown) => boolean) | undefined;
  write(message: LiveEvent): void;
}

type Last = LiveEvent & { value?: unknown };

interface Topic {
  load: Load;
  last?: Last;
  watchers: Set<Watcher>;
  reading: boolean;
}

/** One topic of a multiplexed stream: what it reads, who may see it, and the tag its events carry. */
export interface Subscription {
  key: string;
  load: Load;
  admit?: StreamOptions['admit'];
  /** Members added to each event's data beside `snapshot` / `problem`, e.g. `{ topic: 'conversation', conversationId }`. */
  tag: Readonly<Record<string, string>>;
}

export interface LiveFeeds {
  /** Streams `key`'s snapshots to this response as server-sent events; throws `too_many_streams` past a cap. */
  stream(res: Response, key: string, load: Load, options?: StreamOptions): void;
  /**
   * Streams several topics on one response (one connection, one stream against the caps): each event's data is
   * `{ ...tag, snapshot }` or `{ ...tag, problem }`; `refused` are sent first as `{ ...tag, problem }` and not watched;
   * an event about the stream itself (revocation) is `{ problem }`. Throws `too_many_streams` past a cap.
   */
  streamMany(res: Response, subscriptions: Subscription[], options?: { owner?: StreamOwner; refused?: { tag: Subscription['tag']; problem: unknown }[] }): void;
  /** The limits in force (the routes bound a multiplexed stream's topics by `topicsPerStream`). */
  readonly limits: LiveLimits;
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

/**
 * Live pages by server-sent events. FerretDB has no change streams, so topics are polled server-side: **one round
 * every `everyMs` for all topics**, each topic read once however many watch it, with at most `concurrentReads` reads in
 * flight (a round over many topics takes longer instead of loading the store more). An event goes out only when the
 * snapshot changed, and a topic's newest snapshot goes out at once to each stream that joins it (a reconnecting client
 * misses nothing: it is sent what is true now); a failed read is a `problem` event and polling goes on. The same round
 * re-checks each key with a stream open (revoked or re-roled: its streams end); every stream ends after
 * `maxLifetimeMs` and the client reconnects. A stream carries one topic ({@link LiveFeeds.stream}) or several
 * ({@link LiveFeeds.streamMany}: the console's one stream per page, since a browser holds six connections per origin).
 */
export function createLiveFeeds({ everyMs, logger, shutdown, limits: given, recheck }: LiveFeedsDeps): LiveFeeds {
  const limits = { ...defaultLiveLimits, ...given };
  const topics = new Map<string, Topic>();
  const streams = new Set<OpenStream>();
  const perKey = new Map<string, number>();
  const limit = semaphore(limits.concurrentReads);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let rounding = false;

  /** Writes a snapshot to a watcher it is for; one it does not admit gets a problem in its place. */
  function deliver(watcher: Watcher, last: Last): void {
    if (last.event === 'snapshot' && watcher.admit && !watcher.admit(last.value)) {
      watcher.write({ event: 'problem', data: JSON.stringify(problemOf(new AppError('unknown_conversation', 'Not visible to this key now'))) });
      return;
    }
    watcher.write(last);
  }

  async function poll(key: string, topic: Topic): Promise<void> {
    if (topic.reading) return;
    topic.reading = true;
    let next: Last;
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
      for (const watcher of topic.watchers) deliver(watcher, next);
    }
  }

  /** Ends the streams of keys that were revoked or changed role since they opened. */
  async function recheckOwners(): Promise<void> {
    if (!recheck) return;
    const owners = new Map<string, StreamOwner>();
    for (const { owner } of streams) if (owner) owners.set(owner.keyHash, owner);
    await Promise.all(
      [...owners.values()].map((owner) =>
        limit(async () => {
          if (await recheck(owner).catch(() => true)) return; // an unreadable store is no proof of revocation
          const gone = problemOf(new AppError('unauthenticated', 'The API key was revoked or changed role'));
          for (const stream of [...streams]) {
            if (stream.owner?.keyHash !== owner.keyHash) continue;
            stream.notice(gone);
            stream.end();
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

  /** Puts a watcher on a topic (created, and read at once, if nobody watched it); answers how to take it off. */
  function join(key: string, load: Load, watcher: Watcher): () => void {
    let topic = topics.get(key);
    if (!topic) {
      topic = { load, watchers: new Set(), reading: false };
      topics.set(key, topic);
      const fresh = topic;
      void limit(() => poll(key, fresh));
      if (!timer && !rounding) timer = setTimeout(() => void round(), everyMs).unref();
    } else if (topic.last) {
      deliver(watcher, topic.last);
    }
    topic.watchers.add(watcher);
    const joined = topic;
    return () => {
      joined.watchers.delete(watcher);
      if (joined.watchers.size === 0 && topics.get(key) === joined) topics.delete(key);
    };
  }

  /** Opens a stream on `res` against the caps (throws `too_many_streams`), then joins its topics; nothing if the client has gone. */
  function open(res: Response, owner: StreamOwner | undefined, framing: (message: LiveEvent) => string, joins: (stream: OpenStream) => (() => void)[]): void {
    if (closed) throw new AppError('temporarily_unavailable', 'The server is shutting down');
    // The client may have gone while the key was checked: its 'close' has passed, so nothing would ever unsubscribe it.
    if (res.destroyed || res.req.destroyed) return;
    const held = owner ? (perKey.get(owner.keyId) ?? 0) : 0;
    if (owner && held >= limits.perKey) throw new AppError('too_many_streams', `This key has ${held} live streams open, its limit; close one first`, { limit: limits.perKey });
    if (streams.size >= limits.total) throw new AppError('too_many_streams', `The service has ${streams.size} live streams open, its limit; retry later`, { limit: limits.total });
    if (owner) perKey.set(owner.keyId, held + 1);
    let leaves: (() => void)[] = [];
    const events = openEventStream(res, {
      lifetimeMs: limits.maxLifetimeMs,
      // The response closes when the client goes away or the stream is ended here.
      onClose: () => {
        streams.delete(stream);
        if (owner) {
          const left = (perKey.get(owner.keyId) ?? 1) - 1;
          if (left > 0) perKey.set(owner.keyId, left);
          else perKey.delete(owner.keyId);
        }
        for (const leave of leaves) leave();
      },
    });
    const stream: OpenStream = {
      ...(owner ? { owner } : {}),
      send: events.send,
      notice: (problem) => events.send(framing({ event: 'problem', data: JSON.stringify(problem) })),
      end: events.end,
    };
    streams.add(stream);
    leaves = joins(stream);
  }

  function close(): void {
    closed = true;
    clearTimeout(timer);
    for (const stream of [...streams]) stream.end();
    topics.clear();
  }
  shutdown?.addEventListener('abort', close, { once: true });

  return {
    stream(res, key, load, options = {}) {
      open(res, options.owner, frame, (stream) => [join(key, load, { admit: options.admit, write: (m) => stream.send(frame(m)) })]);
    },
    streamMany(res, subscriptions, { owner, refused = [] } = {}) {
      const framed = (tag: Subscription['tag']) => (m: LiveEvent) => frame({ event: m.event, data: tagged(tag, m) });
      open(res, owner, framed({}), (stream) => {
        for (const { tag, problem } of refused) stream.send(framed(tag)({ event: 'problem', data: JSON.stringify(problem) }));
        return subscriptions.map(({ key, load, admit, tag }) => join(key, load, { admit, write: (m) => stream.send(framed(tag)(m)) }));
      });
    },
    limits,
    close,
    stats: () => ({ streams: streams.size, topics: topics.size }),
  };
}
