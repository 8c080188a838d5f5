import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultMessagingLimits } from '../../lib/messaging-limits';
import type { ConnectorWorker } from '../../worker/worker';
import type { ConversationInput } from '../../machines/conversation.types';
import {
  agentReleasedSignal,
  closeConversationUpdate,
  conversationStatusQuery,
  conversationWorkflowId,
  customerCalledSignal,
  customerMessageSignal,
  sendMessageUpdate,
  transferConversationUpdate,
  type InboundMessage,
} from '../../workflows/conversation.messages';
import { MachineConfig } from '../../lib/machine-config';
import { publish } from '../../store/machine-config.store';
import { uniqueId } from '../support/env';
import { keepHistory } from '../support/histories';
import { eventually, startTimeSkippingRig, type TimeSkippingRig } from '../support/workflow-env';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BUSINESS = '106540352242922';

let rig: TimeSkippingRig;
let worker: ConnectorWorker;
let running: Promise<void>;

beforeAll(async () => {
  rig = await startTimeSkippingRig();
  // Time stands still here unless a test waits on it: unpaced, so sends go out at once (send-pacing.test.ts paces).
  worker = await rig.newWorker({ ...defaultMessagingLimits, customerPacingMs: 0 });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await rig?.teardown();
});

function newConversation(idleCloseAfterMs = 7 * 24 * HOUR) {
  const waId = String(15550000000 + Math.floor(Math.random() * 9_999_999));
  const conversation: ConversationInput = {
    conversationId: conversationWorkflowId(BUSINESS, `${waId}-${uniqueId('c')}`),
    businessNumberId: BUSINESS,
    customer: { key: waId, waId },
    idleCloseAfterMs,
  };
  return conversation;
}

const customerWrites = (conversation: ConversationInput, sentAt: number, maxHistoryEvents?: number) =>
  rig.customerWrites(conversation, sentAt, maxHistoryEvents ? { maxHistoryEvents } : {});

const sendText = (text: string) => ({ messageId: uniqueId('msg'), message: { type: 'text' as const, text }, sender: { kind: 'agent' as const, id: 'agent-7' } });

describe('conversation workflow, with the full 24 hours elapsing on the time-skipping server', () => {
  it('accepts a reply at 23 h 59 min, refuses one at 24 h 00 min 01 s with template_required, and reopens at hour 30', async () => {
    const conversation = newConversation();
    const t0 = await rig.env.currentTimeMs();
    const handle = await customerWrites(conversation, t0);

    await rig.env.sleep(23 * HOUR + 59 * MINUTE);
    const accepted = await handle.executeUpdate(sendMessageUpdate, { args: [sendText('Your parcel left the depot')] });
    expect(accepted).toMatchObject({ status: 'queued' });
    await eventually(() => rig.simulator.sent().filter((m) => m.to === conversation.customer.waId), (sent) => sent.length === 1);

    await rig.env.sleep(MINUTE + 1_000);
    const refusal = await handle.executeUpdate(sendMessageUpdate, { args: [sendText('Are you still there?')] }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refusal as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'template_required' });
    expect(await handle.query(conversationStatusQuery)).toMatchObject({ state: 'expiredNeedsTemplate', windowOpen: false });

    await rig.env.sleep(6 * HOUR - 1_000);
    const hour30 = await rig.env.currentTimeMs();
    expect(hour30 - t0).toBeGreaterThanOrEqual(30 * HOUR);
    await customerWrites(conversation, hour30);
    const reopened = await handle.query(conversationStatusQuery);
    expect(reopened).toMatchObject({ state: 'openSession', windowOpen: true, inboundCount: 2 });
    expect(reopened.windowClosesAt).toBe(new Date(hour30 + 24 * HOUR).toISOString());

    // Only the reply inside the window ever reached the broker.
    expect(rig.simulator.sent().filter((m) => m.to === conversation.customer.waId)).toHaveLength(1);
    await keepHistory('window-reply-refusal-reopen', handle);
  });

  it('sends two racing replies in the order they were accepted, each exactly once', async () => {
    const conversation = newConversation();
    const handle = await customerWrites(conversation, await rig.env.currentTimeMs());
    const first = sendText('first');
    const second = sendText('second');

    await Promise.all([
      handle.executeUpdate(sendMessageUpdate, { args: [first], updateId: first.messageId }),
      handle.executeUpdate(sendMessageUpdate, { args: [second], updateId: second.messageId }),
      // The same request retried by the integrator: takes effect once.
      handle.executeUpdate(sendMessageUpdate, { args: [first], updateId: first.messageId }),
    ]);

    const sent = await eventually(
      () => rig.simulator.sent().filter((m) => m.to === conversation.customer.waId),
      (s) => s.length >= 2,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(rig.simulator.sent().filter((m) => m.to === conversation.customer.waId)).toHaveLength(2);
    const order = (await rig.store.messages.find({ conversationId: conversation.conversationId, direction: 'outbound' }).sort({ sortAt: 1 }).toArray()).map((m) => m._id);
    expect(new Set(order)).toEqual(new Set([first.messageId, second.messageId]));
    expect(sent.map((m) => (m.body as { text?: { body?: string } }).text?.body).sort()).toEqual(['first', 'second']);
    await keepHistory('racing-sends', handle);
  });

  it('takes a redelivered customer message once', async () => {
    const conversation = newConversation();
    const t0 = await rig.env.currentTimeMs();
    const message: InboundMessage = { messageId: 'wamid.redelivered', sentAt: t0, kind: 'text', customer: { waId: conversation.customer.waId! } };
    const deliver = () =>
      rig.env.client.workflow.signalWithStart('conversationWorkflow', {
        workflowId: conversation.conversationId,
        taskQueue: rig.taskQueue,
        args: [{ conversation }],
        signal: customerMessageSignal,
        signalArgs: [message],
      });
    const handle = await deliver();
    await deliver();

    await eventually(() => handle.query(conversationStatusQuery), (s) => s.inboundCount >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await handle.query(conversationStatusQuery)).toMatchObject({ inboundCount: 1 });
  });

  it('keeps state, deadline and messages across continue-as-new past the history bound', async () => {
    const conversation = newConversation();
    const t0 = await rig.env.currentTimeMs();
    const handle = await customerWrites(conversation, t0, 60);
    const firstRun = (await handle.describe()).runId;

    let lastSentAt = t0;
    for (let i = 1; i <= 25; i += 1) {
      lastSentAt = await rig.env.currentTimeMs();
      await customerWrites(conversation, lastSentAt, 60);
      await rig.settled(conversation.conversationId);
      await handle.executeUpdate(sendMessageUpdate, { args: [sendText(`reply ${i}`)] });
    }
    await eventually(() => rig.simulator.sent().filter((m) => m.to === conversation.customer.waId).length, (n) => n === 25);

    const latest = rig.env.client.workflow.getHandle(conversation.conversationId);
    await eventually(async () => (await latest.describe()).runId, (runId) => runId !== firstRun);
    const status = await eventually(() => latest.query(conversationStatusQuery), (s) => s.outboundCount === 25);
    expect(status).toMatchObject({ state: 'openSession', inboundCount: 26, outboundCount: 25 });
    expect(status.windowClosesAt).toBe(new Date(lastSentAt + 24 * HOUR).toISOString());
    expect(await rig.store.messages.countDocuments({ conversationId: conversation.conversationId, direction: 'outbound' })).toBe(25);
    await keepHistory('continue-as-new-first-run', rig.env.client.workflow.getHandle(conversation.conversationId, firstRun));
  });

  it("a customer's call opens the window 24 h from the call without a message; each call id is taken once, across continue-as-new too", async () => {
    const conversation = newConversation();
    const t0 = await rig.env.currentTimeMs();
    const call = (callId: string, calledAt: number) =>
      rig.env.client.workflow.signalWithStart('conversationWorkflow', {
        workflowId: conversation.conversationId,
        taskQueue: rig.taskQueue,
        args: [{ conversation, maxHistoryEvents: 40 }],
        signal: customerCalledSignal,
        signalArgs: [{ callId, calledAt }],
      });
    const handle = await call('wacid.first', t0);
    const firstRun = (await handle.describe()).runId;
    const opened = await eventually(() => handle.query(conversationStatusQuery), (s) => s.state === 'openSession');
    expect(opened).toMatchObject({ windowClosesAt: new Date(t0 + 24 * HOUR).toISOString(), inboundCount: 0, lastMessages: [] });

    await rig.env.sleep(2 * HOUR);
    // Enough sends to pass the history bound: the next run must still know the call.
    for (let i = 1; i <= 8; i += 1) {
      await rig.settled(conversation.conversationId);
      await handle.executeUpdate(sendMessageUpdate, { args: [sendText(`after your call ${i}`)] });
    }
    const latest = rig.env.client.workflow.getHandle(conversation.conversationId);
    await eventually(async () => (await latest.describe()).runId, (runId) => runId !== firstRun);
    // The same call id again, claiming a later time: taken once, the deadline stays.
    await call('wacid.first', await rig.env.currentTimeMs());
    const now = await rig.env.currentTimeMs();
    await call('wacid.second', now - 1_000);
    const refreshed = await eventually(() => latest.query(conversationStatusQuery), (s) => s.windowClosesAt !== opened.windowClosesAt);
    expect(refreshed).toMatchObject({ state: 'openSession', windowClosesAt: new Date(now - 1_000 + 24 * HOUR).toISOString(), inboundCount: 0 });
    await keepHistory('customer-called', rig.env.client.workflow.getHandle(conversation.conversationId, firstRun));
  });

  it('closes an idle conversation after its window, and the next customer message starts a new run', async () => {
    const conversation = newConversation(2 * HOUR);
    const t0 = await rig.env.currentTimeMs();
    const handle = await customerWrites(conversation, t0);

    const outcome = await handle.result(); // time skips through the 24 h window and the 2 h idle period
    expect(outcome).toMatchObject({ closedReason: 'idle' });
    const closedAt = await rig.env.currentTimeMs();
    expect(closedAt - t0).toBeGreaterThanOrEqual(26 * HOUR);

    const next = await customerWrites(conversation, closedAt);
    expect(next.signaledRunId).not.toBe(handle.signaledRunId);
    expect(await next.query(conversationStatusQuery)).toMatchObject({ state: 'openSession', inboundCount: 1 });
    await keepHistory('idle-close', rig.env.client.workflow.getHandle(conversation.conversationId, handle.signaledRunId));
  });

  it('reads the published configuration at each customer event: replies it configures, and its idle period', async () => {
    const config = MachineConfig.parse({
      autoReplies: { welcome: 'Welcome! An agent will answer soon.', outOfHours: 'We are closed; we answer from 9:00.' },
      businessHours: { timeZone: 'UTC', days: {} }, // never open
      idleCloseAfterMinutes: 60,
    });
    await publish(rig.store, config, 'test');
    try {
      const conversation = newConversation(); // 7 days idle in its input; the published 60 minutes win
      const t0 = await rig.env.currentTimeMs();
      const handle = await customerWrites(conversation, t0);
      await customerWrites(conversation, t0 + 1_000);
      const outcome = await handle.result();
      expect(outcome).toMatchObject({ closedReason: 'idle' });
      // The close time, not the server's time now: time skips on to other tests' timers once this run has ended.
      const closedAt = (await handle.describe()).closeTime!.getTime();
      expect(closedAt - t0).toBeLessThan(26 * HOUR);
      const texts = rig.simulator.sent().filter((m) => m.to === conversation.customer.waId).map((m) => (m.body as { text?: { body?: string } }).text?.body);
      // Never open: the out-of-hours notice once per closure, and no welcome promising an agent (it waits for opening
      // hours; settings-read-through.json, recorded before patched('welcome-waits-for-opening-hours'), has both).
      expect(texts).toEqual(['We are closed; we answer from 9:00.']);
      await keepHistory('settings-read-through', handle);
    } finally {
      await rig.store.configVersions.deleteMany({});
    }
  });
});

describe('a run of older code continued into this one', () => {
  it('migrates the version-1 snapshot it carries: the agent holding it stays assigned, their BYE frees the conversation', async () => {
    // A snapshot from before the routing region (schema 1, no version), as agent-routing-bot-hand-off.json carried it
    // after the contact centre answered; moved to this conversation and to the test server's clock.
    const old = (JSON.parse(readFileSync(join(__dirname, '../machines/fixtures/conversation-snapshots.v1.json'), 'utf8')) as { history: string; eventType: string; snapshot: { context: Record<string, unknown> } }[])
      .find((s) => s.history === 'agent-routing-bot-hand-off.json' && s.eventType === 'sip.answered')!.snapshot;
    const conversation = newConversation();
    const t0 = await rig.env.currentTimeMs();
    const windowClosesAt = t0 + 20 * HOUR;
    const routing = old.context.routing as { call: { callId: string } };
    const snapshot = { ...old, context: { ...old.context, ...conversation, windowClosesAt, lastInboundAt: t0 - 4 * HOUR, firstInboundAt: t0 - 4 * HOUR, recentMessages: [] } };
    const handle = await rig.env.client.workflow.start('conversationWorkflow', {
      workflowId: conversation.conversationId,
      taskQueue: rig.taskQueue,
      args: [{ conversation, carried: { snapshot, timers: { window: windowClosesAt }, outbox: [], recentInboundIds: [], recentSendIds: [], generation: t0 - 4 * HOUR, revision: 7 } }],
    });

    expect(await handle.query(conversationStatusQuery)).toMatchObject({ state: 'handedToAgent', agentId: 'agent-1', routing: { phase: 'assigned', queue: 'sales', attempt: 1 } });
    // Only the agent holding it may transfer it: the holder survived the migration.
    await expect(handle.executeUpdate(transferConversationUpdate, { args: [{ sender: { kind: 'agent', id: 'agent-2' }, to: { queue: 'billing' } }] })).rejects.toThrow(WorkflowUpdateFailedError);

    await handle.signal(agentReleasedSignal, { callId: routing.call.callId });
    const released = await eventually(() => handle.query(conversationStatusQuery), (s) => s.agentId === null);
    expect(released).toMatchObject({ state: 'openSession', routing: { phase: 'none' }, windowOpen: true });
    await handle.executeUpdate(closeConversationUpdate, { args: [{ sender: { kind: 'integrator' } }] });
    expect(await handle.result()).toMatchObject({ closedReason: 'requested' });
    await keepHistory('continued-from-v1-snapshot', handle);
  });
});
