/**
 * Fault: the contact centre's SIP connector is down for a while. Conversations that need an agent keep trying with
 * backoff (a refused TCP connection reads as 503, RFC 3261 §8.1.3.1); once the connector is back each conversation
 * is routed exactly once, the customers got the queue message once, and none of their messages is lost.
 */
import { findFreePort } from '../../lib/dev-servers';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { startSipp, type SippPeer } from '../support/sipp';
import { eventually } from '../support/workflow-env';

const QUEUE_TEXT = 'All our agents are busy; you are next in line.';
const conversationOf = (key: string) => `wa:${BUSINESS_NUMBER_ID}:${key}`;
const path = (id: string, rest = '') => `/v1/conversations/${encodeURIComponent(id)}${rest}`;

let rig: ServiceRig | undefined;
let sipp: SippPeer | undefined;
afterAll(async () => {
  await sipp?.stop();
  await rig?.stop();
});

it('routes every waiting conversation exactly once after the SIP peer comes back, losing no message', async () => {
  const port = await findFreePort();
  rig = await startService({ sip: { connectorUri: `sip:queue@127.0.0.1:${port};transport=tcp` } });
  const draft = { routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 2, maxAttempts: 100 } }, autoReplies: { queue: QUEUE_TEXT } };
  await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);

  const base = 15559000000 + Math.floor(Math.random() * 900_000);
  const customers = [1, 2, 3].map((n) => String(base + n));
  const sent: string[] = [];
  for (const customer of customers) {
    for (let i = 1; i <= 3; i++) {
      const { wamid, delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: `message ${i}` });
      expect(delivery.finalStatus).toBe(200);
      sent.push(wamid);
    }
  }
  // The peer is down: every conversation is queued and has been told so, a few attempts in.
  for (const customer of customers) {
    await eventually(() => rig!.request('GET', path(conversationOf(customer))), (r) => r.body.routing?.phase === 'queued' && r.body.routing.attempt >= 2, 30_000);
  }

  sipp = await startSipp({ scenario: 'answer', transport: 'tcp', port, calls: customers.length, agent: 'agent-1', set: { hangup: 'us' } });
  for (const customer of customers) {
    const held = await eventually(() => rig!.request('GET', path(conversationOf(customer))), (r) => r.body.state === 'handedToAgent', 45_000);
    expect(held.body.agentId).toBe('agent-1');
  }
  for (const customer of customers) await rig.requestAs('agent', 'POST', path(conversationOf(customer), '/close'), {});

  const report = await sipp.finished();
  const stored = await rig.store.messages.find({ _id: { $in: sent } }).toArray();
  const queueTexts = rig.simulator.sent().filter((m) => m.body.type === 'text' && (m.body as { text: { body: string } }).text.body === QUEUE_TEXT);
  const row = { fault: 'SIP peer down', sent: sent.length, stored: stored.length, routed: report.received('INVITE').length, hungUp: report.received('BYE').length, queueMessages: queueTexts.length };
  console.log(JSON.stringify(row));
  expect(report.exitCode).toBe(0);
  expect(row).toEqual({ fault: 'SIP peer down', sent: 9, stored: 9, routed: 3, hungUp: 3, queueMessages: 3 });
  expect(stored.every((m) => m.direction === 'inbound' && m.handled)).toBe(true);
  expect(new Set(queueTexts.map((m) => m.to))).toEqual(new Set(customers));
}, 180_000);
