import type { Response } from 'express';

/** The API key a stream was opened with: streams are counted per key and end when the key is revoked or changes role. */
export interface StreamOwner {
  keyId: string;
  keyHash: string;
  role: string;
}

/** One server-sent event: its name and its data (JSON text). */
export interface LiveEvent {
  event: 'snapshot' | 'problem';
  data: string;
}

/** One open `text/event-stream` response, however many topics it carries. */
export interface OpenStream {
  owner?: StreamOwner;
  /** Writes text to the response unless it has ended (writing to an ended response throws). */
  send(text: string): void;
  /** Writes an event about the stream as a whole (revocation, shutdown), framed as the stream frames its events. */
  notice(problem: unknown): void;
  /** Ends the response (the client reconnects by itself). */
  end(): void;
}

export const frame = (message: LiveEvent) => `event: ${message.event}\ndata: ${message.data}\n\n`;

/**
 * The data of a multiplexed stream's event: `{ ...tag, snapshot }` or `{ ...tag, problem }`, built from the JSON
 * text already serialised once for every watcher (a topic's snapshot is not parsed again per stream).
 */
export function tagged(tag: Readonly<Record<string, string>>, message: LiveEvent): string {
  const head = JSON.stringify(tag).slice(0, -1);
  return `${head}${head.length > 1 ? ',' : ''}"${message.event}":${message.data}}`;
}

/**
 * Starts the event stream on `res`: headers, the reconnect delay, a keep-alive comment every 15 s and the lifetime
 * after which the stream ends. `onClose` runs once when the response closes (client gone, ended here, shutdown).
 */
export function openEventStream(res: Response, { lifetimeMs, onClose }: { lifetimeMs: number; onClose: () => void }): { send(text: string): void; end(): void } {
  // A response already ended (shutdown, or the client left a moment ago) must not be written to: that throws.
  const send = (text: string) => void (res.writableEnded || res.destroyed || res.write(text));
  res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  // Browsers reconnect after this long when the connection drops; a comment every 15 s keeps proxies from timing out.
  send('retry: 2000\n\n');
  const heartbeat = setInterval(() => send(': keep-alive\n\n'), 15_000).unref();
  const lifetime = setTimeout(() => res.end(), lifetimeMs).unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    clearTimeout(lifetime);
    onClose();
  });
  return { send, end: () => res.end() };
}
