/**
 * Fault: the contact centre's SIP connector is down for a while. Conversations that need an agent keep trying with
 * backoff (a refused TCP connection reads as 503, RFC 3261 §8.1.3.1); once the connector is back each conversation
 * is routed exactly once, the customers got the queue message once, and none of their messages is lost.
 */
import { findFreePort } from '../../scripts/dev-servers';
import { isInboundHandled } from '../../store/messages.store';
import { recordFaultRow } from '../support/fault-table';
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
  let accepted = 0;
  let redeliveries = 0;
  for (const customer of customers) {
    for (let i = 1; i <= 3; i++) {
      const { wamid, delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: `message ${i}` });
      sent.push(wamid);
      if (delivery.finalStatus === 200) accepted += 1;
      if (delivery.attempts > 1) redeliveries += 1;
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
  // The agent answers each customer, then closes (BYE).
  const replies: string[] = [];
  for (const customer of customers) {
    const reply = await rig.requestAs('agent', 'POST', path(conversationOf(customer), '/messages'), { message: { type: 'text', text: `Hello ${customer}` } });
    expect(reply.status).toBe(202);
    replies.push(reply.body.messageId as string);
  }
  const expectedSends = [...replies, ...customers.map((c) => `queue:${c}`)];
  const deliveredSends = () => rig!.simulator.sent().filter((m) => m.body.type === 'text');
  await eventually(deliveredSends, (d) => d.length >= expectedSends.length, 30_000);
  for (const customer of customers) await rig.requestAs('agent', 'POST', path(conversationOf(customer), '/close'), {});

  const report = await sipp.finished();
  const handled = (await Promise.all(sent.map((id) => isInboundHandled(rig!.store, id)))).filter(Boolean).length;
  const stored = await rig.store.messages.countDocuments({ _id: { $in: sent } });
  const delivered = deliveredSends();
  const sendKeys = delivered.map((m) => ((m.body as { text: { body: string } }).text.body === QUEUE_TEXT ? `queue:${m.to}` : String(m.body.biz_opaque_callback_data)));
  const duplicates = sendKeys.length - new Set(sendKeys).size;
  const row = {
    fault: 'SIP peer down, then back',
    sent: sent.length,
    accepted,
    stored: Math.min(stored, handled),
    replies: replies.length,
    delivered: new Set(sendKeys).size,
    duplicates,
    lost: accepted - Math.min(stored, handled) + expectedSends.filter((k) => !sendKeys.includes(k)).length,
    redeliveries,
    retriedSends: 0,
  };
  recordFaultRow(row);
  expect(report.exitCode).toBe(0);
  expect(row).toMatchObject({ sent: 9, accepted: 9, stored: 9, replies: 3, delivered: 6, duplicates: 0, lost: 0 });
  // Routed exactly once each: one answered call per conversation, each hung up at its close.
  expect([report.received('INVITE').length, report.received('BYE').length]).toEqual([3, 3]);
}, 180_000);
