import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WebhookDelivery } from '../../simulator/broker-simulator';
import { recordFaultRow, type FaultRow } from './fault-table';
import { BUSINESS_NUMBER_ID, type ServiceRig } from './service';

/**
 * One fault under a steady stream. `atRound` runs before each round's messages: inject the fault at one round,
 * repair it at a later one (a SIP-peer fault, after issue 5, is one more plan: stop the sipp peer, start it again).
 */
export interface FaultPlan {
  fault: string;
  /** Distinct customer numbers from here on, so plans never share a conversation. */
  customerBase: number;
  customers: number;
  rounds: number;
  atRound(round: number): Promise<void>;
  /** Between rounds (default 1 s, the tests' per-customer pacing, so replies never queue behind pacing for long). */
  roundMs?: number;
  /** How long the service may take to catch up once the stream ends (default 90 s). */
  settleMs?: number;
}

export interface FaultOutcome {
  row: FaultRow;
  customers: string[];
  /** Per customer: the inbound texts of the thread, its outbound texts, and the texts the broker received, in order. */
  threads: Map<string, { inbound: string[]; outbound: string[]; outboundStatuses: string[]; delivered: string[] }>;
  /** Reply texts the API accepted, per customer, in the order they were sent. */
  accepted: Map<string, string[]>;
  /** What the read model says of each conversation, and what Temporal says of its workflow. */
  conversations: Map<string, { inboundCount: number; outboundCount: number; state: string; running: boolean; pendingActivities: number }>;
}

const stuckDir = join(__dirname, '../../test-results/stuck-conversations');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const conversationId = (customer: string) => `wa:${BUSINESS_NUMBER_ID}:${customer}`;
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(conversationId(customer))}${rest}`;

/** Polls until `done` holds or time runs out; the last value either way (the row is recorded before asserting). */
async function settle<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && (done(value) || Date.now() > deadline)) return value;
    if (Date.now() > deadline + 10_000) throw new Error('the service stayed unreachable');
    await sleep(250);
  }
}

/**
 * Customer messages through the broker simulator (redelivering unacknowledged webhooks as Meta does), one per
 * customer per round, with WhatsApp timestamps one second apart; from round 1 an agent or integrator reply to each
 * customer, sent by a client that retries 503/429 with the same Idempotency-Key and never overtakes its own
 * previous reply. Counts what went in and what came out, records the row for the table, and returns the detail.
 */
export async function runFaultStream(rig: ServiceRig, plan: FaultPlan): Promise<FaultOutcome> {
  const customers = Array.from({ length: plan.customers }, (_, i) => String(plan.customerBase + i));
  const firstSecond = Math.floor(Date.now() / 1000) - plan.rounds - 5;
  const deliveries: Promise<WebhookDelivery>[] = [];
  const chains = new Map(customers.map((c) => [c, Promise.resolve()]));
  const accepted = new Map(customers.map((c) => [c, [] as string[]]));
  let retriedSends = 0;

  const reply = async (customer: string, round: number) => {
    const text = `reply ${round} to ${customer}`;
    const asAgent = round % 2 === 1;
    const headers = { 'idempotency-key': `reply-${round}-${customer}` };
    // The agent key's replies are recorded as its registered agent; the body names no sender.
    const body = { message: { type: 'text', text } };
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await (asAgent ? rig.requestAs('agent', 'POST', path(customer, '/messages'), body, headers) : rig.request('POST', path(customer, '/messages'), body, headers)).catch(
        () => ({ status: 0 }),
      );
      if (answer.status === 202) return void accepted.get(customer)!.push(text);
      if (![0, 429, 503].includes(answer.status) || Date.now() > deadline) return;
      retriedSends += 1;
      await sleep(500);
    }
  };

  for (let round = 0; round < plan.rounds; round += 1) {
    await plan.atRound(round);
    for (const customer of customers) {
      const message = { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: `message ${round}`, timestamp: firstSecond + round };
      deliveries.push(rig.simulator.sendInboundText(message).then((r) => r.delivery));
    }
    if (round === 0) {
      // A reply needs its conversation, which the first message opens.
      for (const c of customers) await settle(() => rig.request('GET', path(c)), (r) => r.status === 200, 60_000);
    } else {
      for (const c of customers) chains.set(c, chains.get(c)!.then(() => reply(c, round)));
    }
    await sleep(plan.roundMs ?? 1_000);
  }
  const delivered = await Promise.all(deliveries);
  await Promise.all(chains.values());

  // One deadline for the whole catch-up, so a service that never catches up fails with its row, not a timeout.
  const deadline = Date.now() + (plan.settleMs ?? 90_000);
  const left = () => Math.max(0, deadline - Date.now());
  const repliesOf = (c: string) => accepted.get(c)!.length;
  const mine = () => rig.simulator.sent().filter((m) => m.to !== undefined && customers.includes(m.to));
  await settle(async () => mine(), (s) => s.length >= customers.reduce((n, c) => n + repliesOf(c), 0), left());
  const threads: FaultOutcome['threads'] = new Map();
  const conversations: FaultOutcome['conversations'] = new Map();
  for (const c of customers) {
    const status = await settle(() => rig.request('GET', path(c)), (r) => r.body.inboundCount >= plan.rounds && r.body.outboundCount >= repliesOf(c), left());
    // Every send finished and its statuses (sent, delivered, read) came back through the webhook.
    const read = (r: { body: { messages: { direction: string; status: string }[] } }) => r.body.messages.filter((m) => m.direction === 'outbound' && m.status === 'read').length;
    const thread = await settle(() => rig.request('GET', path(c, '/messages')), (r) => read(r) >= repliesOf(c), Math.min(15_000, left()));
    const messages = thread.body.messages as { direction: string; text?: string; status: string }[];
    const description = await rig.temporal.workflow.getHandle(conversationId(c)).describe();
    conversations.set(c, {
      inboundCount: status.body.inboundCount ?? 0,
      outboundCount: status.body.outboundCount ?? 0,
      state: status.body.state ?? `HTTP ${status.status}`,
      running: description.status.name === 'RUNNING',
      pendingActivities: description.raw.pendingActivities?.length ?? 0,
    });
    threads.set(c, {
      inbound: messages.filter((m) => m.direction === 'inbound').map((m) => m.text ?? ''),
      outbound: messages.filter((m) => m.direction === 'outbound').map((m) => m.text ?? ''),
      outboundStatuses: messages.filter((m) => m.direction === 'outbound').map((m) => m.status),
      delivered: [],
    });
  }
  // A conversation that did not catch up leaves its history for whoever investigates (replay it with wa-analyst).
  for (const [c, state] of conversations) {
    if (state.inboundCount === plan.rounds && state.running && state.pendingActivities === 0) continue;
    const history = await rig.temporal.workflow.getHandle(conversationId(c)).fetchHistory();
    const file = join(stuckDir, `${plan.fault.replace(/[^a-z0-9]+/gi, '-')}-${c}.json`);
    mkdirSync(stuckDir, { recursive: true });
    writeFileSync(file, historyToJSON(history));
    console.log(`conversation ${conversationId(c)} did not catch up: its history is in ${file}`);
  }
  await sleep(1_000); // a late duplicate send would arrive now
  const sent = mine();
  for (const c of customers) threads.get(c)!.delivered = sent.filter((m) => m.to === c).map((m) => (m.body.text as { body: string }).body);

  const ids = customers.map(conversationId);
  const inbound = await rig.store.messages.find({ direction: 'inbound', conversationId: { $in: ids } }, { projection: { _id: 1 } }).toArray();
  const stored = await rig.store.handledInbound.countDocuments({ _id: { $in: inbound.map((m) => m._id) } });
  const distinctSent = new Set(sent.map((m) => `${m.to}|${(m.body.text as { body: string }).body}`));
  const replies = customers.reduce((n, c) => n + repliesOf(c), 0);
  const acceptedInbound = delivered.filter((d) => d.finalStatus === 200).length;
  const handledTwice = [...conversations.values()].reduce((n, s) => n + Math.max(0, s.inboundCount - plan.rounds), 0);
  const deliveredAccepted = customers.reduce((n, c) => n + accepted.get(c)!.filter((t) => distinctSent.has(`${c}|${t}`)).length, 0);
  const row: FaultRow = {
    fault: plan.fault,
    sent: deliveries.length,
    accepted: acceptedInbound,
    stored,
    replies,
    delivered: distinctSent.size,
    duplicates: handledTwice + (sent.length - distinctSent.size),
    lost: Math.max(0, acceptedInbound - stored) + (replies - deliveredAccepted),
    redeliveries: delivered.filter((d) => d.attempts > 1).length,
    retriedSends,
  };
  recordFaultRow(row);
  return { row, customers, threads, accepted, conversations };
}

/** What every fault test asserts: all taken, nothing lost or doubled, in order, and no conversation stuck. */
export function expectNothingLostOrDoubled(outcome: FaultOutcome, plan: Pick<FaultPlan, 'customers' | 'rounds'>): void {
  const { row } = outcome;
  const expectedReplies = plan.customers * (plan.rounds - 1);
  expect(row).toMatchObject({ sent: plan.customers * plan.rounds, accepted: row.sent, stored: row.sent, replies: expectedReplies, delivered: expectedReplies, duplicates: 0, lost: 0 });
  const inOrder = Array.from({ length: plan.rounds }, (_, round) => `message ${round}`);
  for (const customer of outcome.customers) {
    const thread = outcome.threads.get(customer)!;
    const replies = outcome.accepted.get(customer)!;
    expect(thread.inbound).toEqual(inOrder);
    expect(thread.outbound).toEqual(replies);
    // Every send read by the customer: each status webhook the simulator sent (and redelivered) was recorded.
    expect(thread.outboundStatuses).toEqual(replies.map(() => 'read'));
    expect(thread.delivered).toEqual(replies);
    expect(outcome.conversations.get(customer)).toEqual({
      inboundCount: plan.rounds,
      outboundCount: replies.length,
      state: 'openSession',
      running: true,
      pendingActivities: 0,
    });
  }
}
