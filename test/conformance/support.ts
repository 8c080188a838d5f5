import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startBrokerSimulator, type BrokerSimulator, type SimulatorOptions } from '../../simulator/broker-simulator';

/** Rigs for the conformance suite: the simulator spoken to over HTTP, as the connector (or anyone) would. */
export const TOKEN = 'conformance-token';
export const WABA = '102290129340398';
export const PHONE_NUMBER_ID = '106540352242922';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** A stand-in connector: records the webhooks the simulator delivers, parsed. */
export async function startReceiver() {
  const received: Json[] = [];
  const app = express();
  app.post('/hook', express.json(), (req, res) => {
    received.push(req.body as Json);
    res.status(200).end();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise((r) => server.close(r)) };
}

export async function startSim(options: Partial<SimulatorOptions> = {}) {
  return startBrokerSimulator({ accessToken: TOKEN, appSecret: 'conformance-secret', statusDelayMs: 5, redeliver: { attempts: 2, initialDelayMs: 5 }, ...options });
}

export async function graph(sim: BrokerSimulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.url}/v23.0/${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/** Uploads a sample through the Resumable Upload API (two steps), answering the file handle. */
export async function uploadSample(sim: BrokerSimulator, bytes: Buffer, fileType: string): Promise<string> {
  const session = await graph(sim, 'POST', `app/uploads?file_length=${bytes.length}&file_type=${encodeURIComponent(fileType)}`);
  const done = await fetch(`${sim.url}/v23.0/${session.body.id as string}`, {
    method: 'POST',
    headers: { authorization: `OAuth ${TOKEN}`, file_offset: '0', 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  return ((await done.json()) as { h: string }).h;
}

/** The shape of every Graph API error Meta answers (error-codes page, "Error response syntax"). */
export function expectMetaError(answer: { status: number; body: Json }, code: number, subcode?: number): void {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.body.error).toMatchObject({
    message: expect.stringContaining(`(#${code})`),
    type: 'OAuthException',
    code,
    error_data: { messaging_product: 'whatsapp', details: expect.any(String) },
    fbtrace_id: expect.any(String),
  });
  if (subcode !== undefined) expect(answer.body.error.error_subcode).toBe(subcode);
}

export const until = async <T>(read: () => T, ok: (v: T) => boolean, timeoutMs = 3_000): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
};
