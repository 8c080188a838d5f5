/** Raw server-sent-event streams for the security probes: what a hostile or a plain client sees, byte for byte. */

export interface RawStream {
  /** The HTTP status (once the headers arrived). */
  status: Promise<number>;
  /** Everything received so far. */
  text(): string;
  /** 'ended' when the server ended the stream, 'aborted' when we closed it or it failed. */
  ended: Promise<'ended' | 'aborted'>;
  close(): void;
}

/** Opens `url` with the key and keeps reading until the server ends it or `close()` is called. */
export function openStream(url: string, key: string): RawStream {
  const client = new AbortController();
  let received = '';
  let status!: (code: number) => void;
  const statusOf = new Promise<number>((resolve) => (status = resolve));
  const ended = (async (): Promise<'ended' | 'aborted'> => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: client.signal });
    status(response.status);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'ended';
      received += decoder.decode(value, { stream: true });
    }
  })().catch(() => {
    status(0);
    return 'aborted' as const;
  });
  return { status: statusOf, text: () => received, ended, close: () => client.abort() };
}

/** Resolves with what `promise` gives, or 'timeout' after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Percentile (0–100) of durations in ms. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Times one request, in ms. */
export async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await call();
  return performance.now() - started;
}
