/**
 * A webhook endpoint on loopback for the simulator's tests: it keeps the `statuses[]` of every delivery Meta's way
 * (`entry[0].changes[0].value.statuses`), in arrival order, and answers 200.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A status webhook's entry as the tests read it (Meta's status reference: id, status, errors on `failed`). */
export type SinkStatus = { id: string; status: string; errors?: { code: number; title: string; error_data: { details: string } }[] };

export interface StatusSink {
  /** The URL to give the simulator as its webhook. */
  url: string;
  /** Every status received so far; the array is appended to as deliveries arrive. */
  statuses: SinkStatus[];
  close(): Promise<void>;
}

export async function startStatusSink(): Promise<StatusSink> {
  const statuses: SinkStatus[] = [];
  const hook = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { entry: { changes: { value: { statuses?: SinkStatus[] } }[] }[] };
      statuses.push(...(body.entry[0]!.changes[0]!.value.statuses ?? []));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/webhook`,
    statuses,
    close: () => new Promise<void>((resolve) => hook.close(() => resolve())),
  };
}
