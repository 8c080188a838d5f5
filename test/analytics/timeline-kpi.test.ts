import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import { analyzeRuns, computeKpis } from '../../analytics/analytics.pipeline';
import { defaultMessagingLimits } from '../../lib/messaging-limits';
import type { ConnectorWorker } from '../../worker/worker';
import { writeHistoryFile } from '../../analytics/history.files';
import { runIdOf } from '../../analytics/history.meta';
import type { HistoryItem } from '../../analytics/history.types';
import type { Kpis } from '../../analytics/kpi.aggregate';
import type { Timeline } from '../../analytics/timeline.build';
import type { ConversationInput } from '../../machines/conversation.types';
import { recordStatus } from '../../store/messages.store';
import {
  brokerFailureSignal,
  closeConversationUpdate,
  conversationWorkflowId,
  sendMessageUpdate,
  type SendMessageRequest,
} from '../../workflows/conversation.messages';
import { analyst } from '../support/analyst-cli';
import { testEnv, uniqueId, testDataConverter } from '../support/env';
import { eventually, startTimeSkippingRig, type TimeSkippingRig } from '../support/workflow-env';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const BUSINESS = '106540352242922';
// Workflow times come from workflow tasks, which run a moment after the test asks; never seconds later.
const SLACK = 15 * SECOND;

let rig: TimeSkippingRig;
let worker: ConnectorWorker;
let running: Promise<void>;
let work: string;
const ids = { answered: '', closed: '', bot: '' };
const timelines = new Map<string, Timeline>();
let kpis: Kpis;

function newConversation(): ConversationInput {
  const waId = String(15550000000 + Math.floor(Math.random() * 9_999_999));
  return { conversationId: conversationWorkflowId(BUSINESS, `${waId}-${uniqueId('k')}`), businessNumberId: BUSINESS, customer: { key: waId, waId }, idleCloseAfterMs: 7 * 24 * HOUR };
}

const customerWrites = async (conversation: ConversationInput): Promise<WorkflowHandle> => rig.customerWrites(conversation, await rig.env.currentTimeMs());

const send = (kind: 'agent' | 'bot', message: SendMessageRequest['message']): SendMessageRequest => ({ messageId: uniqueId('msg'), message, sender: { kind, id: `${kind}-1` } });
const text = (body: string) => ({ type: 'text' as const, text: body });

async function priced(messageId: string, pricingCategory: string): Promise<void> {
  const doc = await eventually(() => rig.store.messages.findOne({ _id: messageId }), (d) => Boolean(d && 'wamid' in d && d.wamid));
  await recordStatus(rig.store, { wamid: (doc as { wamid: string }).wamid, messageId, status: 'delivered', at: new Date(), pricingCategory });
}

async function* histories(handles: WorkflowHandle[]): AsyncGenerator<HistoryItem> {
  for (const handle of handles) {
    const history = await handle.fetchHistory();
    yield { workflowId: handle.workflowId, runId: runIdOf(history)!, history, source: 'server' };
  }
}

beforeAll(async () => {
  rig = await startTimeSkippingRig();
  // WhatsApp holds the approved template the agent sends (the simulator refuses one it does not hold, 132001).
  rig.simulator.seedTemplate({ wabaId: 'waba', name: 'order_update', language: 'en_US', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Your order is on its way.' }] });
  // No per-customer pacing: the test drives replies at known times.
  worker = await rig.newWorker({ ...defaultMessagingLimits, customerPacingMs: 0 });
  running = worker.run();
  work = mkdtempSync(join(tmpdir(), 'analyst-kpi-'));

  // Closed: answered after 2 minutes, closed by the agent 10 minutes later.
  const closed = newConversation();
  const closedHandle = await customerWrites(closed);
  await rig.env.sleep(2 * MINUTE);
  await closedHandle.executeUpdate(sendMessageUpdate, { args: [send('agent', text('On its way'))] });
  await rig.env.sleep(10 * MINUTE);
  await closedHandle.executeUpdate(closeConversationUpdate, { args: [{ sender: { kind: 'agent', id: 'agent-1' } }] });

  // Bot: the bot answers after 30 s; WhatsApp then refuses it with 131047, which closes the window early.
  const bot = newConversation();
  const botHandle = await customerWrites(bot);
  await rig.env.sleep(30 * SECOND);
  const botReply = send('bot', text('I am a bot'));
  await botHandle.executeUpdate(sendMessageUpdate, { args: [botReply] });
  await botHandle.signal(brokerFailureSignal, { messageId: botReply.messageId, code: 131047, title: 'Re-engagement message' });

  // Answered: a reply after 5 minutes, the window expires at 24 h, a template at 25 h, the customer again at 26 h.
  const answered = newConversation();
  const answeredHandle = await customerWrites(answered);
  await rig.env.sleep(5 * MINUTE);
  const reply = send('agent', text('Tomorrow'));
  await answeredHandle.executeUpdate(sendMessageUpdate, { args: [reply] });
  await rig.env.sleep(25 * HOUR - 5 * MINUTE);
  const template = send('agent', { type: 'template', name: 'order_update', language: 'en_US' });
  await answeredHandle.executeUpdate(sendMessageUpdate, { args: [template] });
  await rig.env.sleep(HOUR);
  await customerWrites(answered);
  await priced(reply.messageId, 'service');
  await priced(template.messageId, 'utility');

  Object.assign(ids, { answered: answered.conversationId, closed: closed.conversationId, bot: bot.conversationId });
  const handles = [answeredHandle, closedHandle, botHandle];
  await eventually(() => closedHandle.describe(), (d) => d.status.name === 'COMPLETED');
  const code = { codePath: testEnv().workflowBundlePath };
  kpis = await computeKpis(analyzeRuns(histories(handles), code, undefined, testDataConverter), {
    store: rig.store,
    onRun: (run) => void (run.timeline && timelines.set(run.timeline.conversationId, run.timeline)),
  });
  for await (const item of histories(handles)) await writeHistoryFile(work, item);
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await rig?.teardown();
  rmSync(work, { recursive: true, force: true });
});

const near = (actual: number | null, expected: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThan(SLACK);
};

describe('timelines rebuilt by replaying conversations driven on the time-skipping server', () => {
  it('shows the states entered and left with their times, the messages by type and the window expiry', () => {
    const t = timelines.get(ids.answered)!;
    expect(t.states.map((s) => s.state)).toEqual(['inbound', 'openSession', 'expiredNeedsTemplate', 'openSession']);
    const [, open, expired, reopened] = t.states;
    near(open!.durationMs, 24 * HOUR); // the window: 24 h from the customer's message
    near(expired!.durationMs, 2 * HOUR); // closed at 24 h, the customer wrote again at 26 h
    expect(reopened).toMatchObject({ leftAt: null, durationMs: null });
    near(Date.parse(reopened!.enteredAt) - Date.parse(open!.enteredAt), 26 * HOUR);
    expect(t.messages).toEqual({ inbound: 2, outboundSession: 1, outboundTemplate: 1 });
    expect(t.windowExpiries).toEqual([{ at: expired!.enteredAt, cause: 'window.expired' }]);
    near(t.firstResponseMs, 5 * MINUTE);
    expect(t).toMatchObject({ holdMs: null, finalState: 'openSession', ending: 'running', continued: false, handOffs: [], failures: [] });
    expect(t.events.map((e) => e.eventType)).toEqual([
      'settings.applied', // the configuration read before the first customer message
      'customer.messageReceived',
      'business.sendRequested',
      'window.expired',
      'business.sendRequested',
      'customer.messageReceived',
    ]);
    expect(t.events[4]).toMatchObject({ messageType: 'template', templateName: 'order_update', senderKind: 'agent', from: 'expiredNeedsTemplate', to: 'expiredNeedsTemplate' });
  });

  it('records the close, and a broker refusal that closed the window early with its code', () => {
    const closed = timelines.get(ids.closed)!;
    expect(closed.states.map((s) => s.state)).toEqual(['inbound', 'openSession', 'closed']);
    near(closed.states[1]!.durationMs, 12 * MINUTE);
    expect(closed).toMatchObject({ finalState: 'closed', ending: 'completed' });
    near(closed.firstResponseMs, 2 * MINUTE);

    const bot = timelines.get(ids.bot)!;
    expect(bot.states.map((s) => s.state)).toEqual(['inbound', 'openSession', 'expiredNeedsTemplate']);
    expect(bot.windowExpiries).toEqual([expect.objectContaining({ cause: 'broker.rejected' })]);
    expect(bot.failures).toEqual([expect.objectContaining({ eventType: 'broker.rejected', key: '131047', title: 'Re-engagement message' })]);
    expect(bot.bot).toEqual({ involved: true, handedOff: false });
  });
});

describe('KPIs over those conversations', () => {
  it('adds them up: response times, states, expiries, templates, bot hand-offs, failures and pricing', () => {
    expect(kpis).toMatchObject({
      conversations: 3,
      runs: 3,
      replayFailures: 0,
      holdTime: { count: 0, medianMs: null, p90Ms: null },
      firstResponseTime: { count: 3 },
      conversationsByState: { inbound: 0, openSession: 1, handedToAgent: 0, expiredNeedsTemplate: 1, closed: 1 },
      windowExpiries: 2,
      templatesSent: 1,
      messages: { inbound: 4, outboundSession: 3, outboundTemplate: 1 },
      bot: { conversations: 1, handOffs: 0, handOffRate: 0 },
      failuresByCode: { '131047': 1 },
      // The replies this test marked delivered carry a category; the other two have had no status yet.
      messagesByPricingCategory: { service: 1, utility: 1, unpriced: 2 },
    });
    // First responses of 30 s, 2 min and 5 min: the median is 2 min; p90 interpolates to 4 min 24 s.
    near(kpis.firstResponseTime.medianMs, 2 * MINUTE);
    near(kpis.firstResponseTime.p90Ms, 4 * MINUTE + 24 * SECOND);
  });

  it('prints the same KPIs as JSON and CSV from the exported files, and both parse back', async () => {
    const store = ['--mongodb-url', testEnv().mongoUrl, '--mongodb-db', rig.store.db.databaseName];
    const json = await analyst('kpi', '--no-progress', '--bundle', testEnv().workflowBundlePath, '--dir', work, '--format', 'json', ...store);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(kpis);

    const csv = await analyst('kpi', '--no-progress', '--bundle', testEnv().workflowBundlePath, '--dir', work, '--format', 'csv', ...store);
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as { metric: string; key: string; value: string }[];
    const value = (metric: string, key = '') => rows.find((r) => r.metric === metric && r.key === key)?.value;
    expect(value('conversations')).toBe('3');
    expect(value('first_response_time_median_ms')).toBe(String(kpis.firstResponseTime.medianMs));
    expect(value('hold_time_median_ms')).toBe('');
    expect(value('conversations_by_state', 'closed')).toBe('1');
    expect(value('failures_by_code', '131047')).toBe('1');
    expect(value('messages_by_pricing_category', 'utility')).toBe('1');
    expect(value('bot_hand_off_rate')).toBe('0');

    const table = await analyst('kpi', '--no-progress', '--bundle', testEnv().workflowBundlePath, '--dir', work);
    expect(table.stdout).toMatch(/^first response time\s+median 2 min \d+ s, p90 4 min \d+ s \(3 conversations\)$/m);
  });

  it('draws each conversation\'s path through the machine, and prints timelines as JSON lines', async () => {
    const mermaid = await analyst('timeline', '--no-progress', '--bundle', testEnv().workflowBundlePath, '--dir', work, '--format', 'mermaid');
    const answered = mermaid.stdout.split('%% ').find((block) => block.startsWith(ids.answered))!;
    expect(answered).toContain('inbound --> openSession: customer.messageReceived [opensWindow] (#1)');
    expect(answered).toContain('openSession --> expiredNeedsTemplate: window.expired [isWindowDue] (#2)');
    expect(answered).toContain('expiredNeedsTemplate --> openSession: customer.messageReceived [opensWindow] (#3)');
    expect(answered).toContain('class inbound,openSession,expiredNeedsTemplate visited');

    const lines = await analyst('timeline', '--no-progress', '--bundle', testEnv().workflowBundlePath, '--dir', work, '--format', 'json');
    const parsed = lines.stdout.trim().split('\n').map((line) => JSON.parse(line) as Timeline);
    expect(parsed.map((t) => t.conversationId).sort()).toEqual([ids.answered, ids.bot, ids.closed].sort());
    expect(parsed.find((t) => t.conversationId === ids.closed)).toEqual(timelines.get(ids.closed));
  });
});
