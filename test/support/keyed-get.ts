import { request, type Agent } from 'node:http';

/** What a limit probe needs of an answer: status, Retry-After, the problem's code, and how long it took (ms). */
export interface KeyedAnswer {
  status: number;
  retryAfter: string | undefined;
  code: string | undefined;
  ms: number;
}

/**
 * A GET with `Authorization: Bearer <key>` over node:http (fetch cannot choose the local address): from a chosen
 * loopback address (127.0.0.0/8 all reach the server on Linux) and/or through a keep-alive agent.
 */
export function keyedGet(url: string, key: string, options: { localAddress?: string; agent?: Agent } = {}): Promise<KeyedAnswer> {
  const target = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, headers: { authorization: `Bearer ${key}` }, agent: options.agent ?? false, ...(options.localAddress ? { localAddress: options.localAddress } : {}) },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(body) as { code?: string }).code;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, code, ms: performance.now() - started });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
