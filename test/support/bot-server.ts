/**
 * A small chatbot for the tests: an HTTP endpoint speaking the connector's bot protocol (POST the conversation and the
 * customer's message, answer `{ replies, handOff }`). Each test says how it answers; every request is kept.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BotRequest {
  conversationId: string;
  message: { id: string; type?: string; text?: string };
  thread: { direction: string; text?: string }[];
}

export type BotBehaviour = (request: BotRequest) => Promise<{ status?: number; body?: unknown; delayMs?: number }> | { status?: number; body?: unknown; delayMs?: number };

export interface BotServer {
  endpoint: string;
  requests: BotRequest[];
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<BotRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as BotRequest;
}

export async function startBotServer(behaviour: BotBehaviour): Promise<BotServer> {
  const requests: BotRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const request = await readJson(req);
      requests.push(request);
      const answer = await behaviour(request);
      const respond = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body ?? { replies: [] }));
      };
      if (!answer.delayMs) return respond();
      const timer = setTimeout(() => {
        timers.delete(timer);
        respond();
      }, answer.delayMs);
      timers.add(timer);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bot`,
    requests,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
