import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';

const TOKEN = 'sim-token';
const SECRET = 'sim-secret';

/** A stand-in connector: records signed deliveries and answers with the next status in `answers` (then 200). */
async function startReceiver(answers: number[] = []) {
  const received: { body: string; signature: string | undefined }[] = [];
  const app = express();
  app.post('/hook', express.text({ type: () => true }), (req, res) => {
    received.push({ body: req.body as string, signature: req.get('x-hub-signature-256') });
    res.status(answers.shift() ?? 200).end();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise((r) => server.close(r)) };
}

const send = (sim: BrokerSimulator, body: object, headers: Record<string, string> = {}) =>
  fetch(`${sim.url}/v23.0/1065/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any

const text = { messaging_product: 'whatsapp', to: '15551234567', type: 'text', text: { body: 'hi' } };

describe('broker simulator (Cloud API subset)', () => {
  let sim: BrokerSimulator;
  afterEach(async () => sim?.close());

  it('accepts a send with a wamid, refuses a missing token with code 190, and dedupes an Idempotency-Key', async () => {
    sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: SECRET, autoStatuses: false });
    const ok = await send(sim, text, { 'idempotency-key': 'k1' });
    const again = await send(sim, text, { 'idempotency-key': 'k1' });
    const noToken = await fetch(`${sim.url}/v23.0/1065/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(text) });

    expect(ok.status).toBe(200);
    expect(ok.body.messages[0].id).toMatch(/^wamid\./);
    expect(again.body.messages[0].id).toBe(ok.body.messages[0].id);
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { error: { code: number } }).error.code).toBe(190);
    expect(sim.sent()).toHaveLength(1);
  });

  it('serves its controls over HTTP (the README asks /_sim/sent what the broker received)', async () => {
    sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: SECRET, autoStatuses: false });
    await send(sim, text);
    const sent = (await (await fetch(`${sim.url}/_sim/sent`)).json()) as { sent: { to: string }[] };
    expect(sent.sent.map((m) => m.to)).toEqual(['15551234567']);
    expect(await (await fetch(`${sim.url}/_sim/templates`)).json()).toEqual({ templates: [] });
  });

  it('injects a 429 once, then accepts; refuses a malformed send with code 100', async () => {
    sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: SECRET, autoStatuses: false });
    sim.injectFault({ kind: 'http', status: 429, times: 1 });
    expect(await send(sim, text)).toMatchObject({ status: 429, body: { error: { code: 130429 } } });
    expect((await send(sim, text)).status).toBe(200);
    expect(await send(sim, { messaging_product: 'whatsapp', type: 'text' })).toMatchObject({ status: 400, body: { error: { code: 100 } } });
  });

  it('signs webhooks and redelivers until the connector answers 200', async () => {
    const receiver = await startReceiver([503, 500]);
    sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: SECRET, webhookUrl: receiver.url, redeliver: { attempts: 5, initialDelayMs: 10 } });
    const { delivery } = await sim.sendInboundText({ phoneNumberId: '1065', from: '15551234567', text: 'hello' });

    expect(delivery).toEqual({ attempts: 3, finalStatus: 200 });
    for (const { body, signature } of receiver.received) {
      expect(signature).toBe(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
    }
    expect(JSON.parse(receiver.received[2]!.body).entry[0].changes[0].value.messages[0]).toMatchObject({ from: '15551234567', type: 'text', text: { body: 'hello' } });
    await receiver.close();
  });

  it('reports sent, delivered and read in order, echoing biz_opaque_callback_data', async () => {
    const receiver = await startReceiver();
    sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: SECRET, webhookUrl: receiver.url, statusDelayMs: 5 });
    await send(sim, { ...text, biz_opaque_callback_data: 'msg_1' });
    await new Promise((r) => setTimeout(r, 300));

    const statuses = receiver.received.map((r) => JSON.parse(r.body).entry[0].changes[0].value.statuses[0]);
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    expect(statuses.every((s) => s.biz_opaque_callback_data === 'msg_1' && s.pricing.category === 'service')).toBe(true);
    await receiver.close();
  });

  it('sends a username-only customer without wa_id or from', async () => {
    const receiver = await startReceiver();
    sim = await startBrokerSimulator({ accessToken: TOKEN, appSecret: SECRET, webhookUrl: receiver.url });
    await sim.sendInboundText({ phoneNumberId: '1065', userId: 'US.134912', username: '@ada', text: 'hi' });
    const value = JSON.parse(receiver.received[0]!.body).entry[0].changes[0].value;

    expect(value.contacts[0]).toEqual({ profile: { name: 'Customer', username: '@ada' }, user_id: 'US.134912' });
    expect(value.messages[0].from).toBeUndefined();
    expect(value.messages[0].from_user_id).toBe('US.134912');
    await receiver.close();
  });
});
