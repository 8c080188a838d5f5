import type { Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../lib/errors';
import { problemOf } from './problem';

/** A snapshot source: what one page shows (the board, a thread…), read from the store or the workflow. */
export type Load = () => Promise<unknown>;

interface Topic {
  load: Load;
  last?: { event: 'snapshot' | 'problem'; data: string };
  watchers: Set<Response>;
  timer?: NodeJS.Timeout;
}

export interface LiveFeeds {
  /** Streams `key`'s snapshots to this response as server-sent events until the client goes away. */
  stream(res: Response, key: string, load: Load): void;
  /** Ends every stream (so the HTTP server can close) and stops polling. */
  close(): void;
  /** Streams open now, and topics being polled. */
  stats(): { streams: number; topics: number };
}

/**
 * Live pages by server-sent events. FerretDB has no change streams, so each topic is polled server-side every
 * `everyMs`, **once however many people watch it**, and an event goes out only when the snapshot changed. A failed
 * read is sent as a `problem` event (the page says so) and polling goes on.
 */
export function createLiveFeeds({ everyMs, logger, shutdown }: { everyMs: number; logger: Logger; shutdown?: AbortSignal }): LiveFeeds {
  const topics = new Map<string, Topic>();
  let closed = false;

  // A response already ended (shutdown, or the client left a moment ago) must not be written to: that throws.
  const send = (res: Response, text: string) => void (res.writableEnded || res.destroyed || res.write(text));
  const write = (res: Response, message: { event: string; data: string }) => send(res, `event: ${message.event}\ndata: ${message.data}\n\n`);

  async function poll(key: string, topic: Topic): Promise<void> {
    let next: { event: 'snapshot' | 'problem'; data: string };
    try {
      next = { event: 'snapshot', data: JSON.stringify(await topic.load()) };
    } catch (err) {
      const problem = problemOf(err);
      if (problem.code === 'internal') logger.error({ err, topic: key }, 'live console read failed');
      next = { event: 'problem', data: JSON.stringify(problem) };
    }
    if (topics.get(key) !== topic) return; // everyone left while it was reading
    if (next.event !== topic.last?.event || next.data !== topic.last.data) {
      topic.last = next;
      for (const res of topic.watchers) write(res, next);
    }
    // The next read starts only after this one ended, so a slow store is never asked twice at once.
    topic.timer = setTimeout(() => void poll(key, topic), everyMs).unref();
  }

  function close(): void {
    closed = true;
    for (const topic of topics.values()) {
      clearTimeout(topic.timer);
      for (const res of topic.watchers) res.end();
    }
    topics.clear();
  }
  shutdown?.addEventListener('abort', close, { once: true });

  return {
    stream(res, key, load) {
      if (closed) throw new AppError('temporarily_unavailable', 'The server is shutting down');
      // The client may have gone while the key was checked: its 'close' has passed, so nothing would ever unsubscribe it.
      if (res.destroyed || res.req.destroyed) return;
      res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      // Browsers reconnect after this long when the connection drops; a comment every 15 s keeps proxies from timing out.
      send(res, 'retry: 2000\n\n');
      const heartbeat = setInterval(() => send(res, ': keep-alive\n\n'), 15_000).unref();

      let topic = topics.get(key);
      if (!topic) {
        topic = { load, watchers: new Set() };
        topics.set(key, topic);
        void poll(key, topic);
      } else if (topic.last) {
        write(res, topic.last);
      }
      topic.watchers.add(res);
      const joined = topic;
      // The response closes when the client goes away or the stream is ended here.
      res.on('close', () => {
        clearInterval(heartbeat);
        joined.watchers.delete(res);
        if (joined.watchers.size === 0 && topics.get(key) === joined) {
          clearTimeout(joined.timer);
          topics.delete(key);
        }
      });
    },
    close,
    stats: () => ({ streams: [...topics.values()].reduce((n, t) => n + t.watchers.size, 0), topics: topics.size }),
  };
}
