import type { WorkflowHandle } from '@temporalio/client';
import { defaultMessagingLimits } from '../../lib/messaging-limits';
import { sendLaneQueue } from '../../worker/send-lanes';
import type { ConnectorWorker } from '../../worker/worker';
import type { ConversationInput } from '../../machines/conversation.types';
import { conversationWorkflowId, sendMessageUpdate } from '../../workflows/conversation.messages';
import { uniqueId } from '../support/env';
import { keepHistory } from '../support/histories';
import { eventually, startTimeSkippingRig, type TimeSkippingRig } from '../support/workflow-env';

const BUSINESS = '106540352242922';

let rig: TimeSkippingRig;
let worker: ConnectorWorker;
let running: Promise<void>;

beforeAll(async () => {
  rig = await startTimeSkippingRig();
  worker = await rig.newWorker(defaultMessagingLimits); // WhatsApp's 6 s between two messages to one customer
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await rig?.teardown();
});

async function openConversation(): Promise<{ conversation: ConversationInput; handle: WorkflowHandle }> {
  const waId = String(15550000000 + Math.floor(Math.random() * 9_999_999));
  const conversation: ConversationInput = {
    conversationId: conversationWorkflowId(BUSINESS, `${waId}-${uniqueId('c')}`),
    businessNumberId: BUSINESS,
    customer: { key: waId, waId },
    idleCloseAfterMs: 7 * 24 * 60 * 60 * 1000,
  };
  const handle = await rig.customerWrites(conversation, await rig.env.currentTimeMs());
  return { conversation, handle };
}

const reply = (text: string) => ({ messageId: uniqueId('msg'), message: { type: 'text' as const, text }, sender: { kind: 'agent' as const } });
const millis = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);

describe('per-customer pacing and the number’s send lane, in workflow time', () => {
  it('sends two quick replies to one customer at least 6 s apart, in order, each once, through the number’s lane', async () => {
    const { conversation, handle } = await openConversation();
    await handle.executeUpdate(sendMessageUpdate, { args: [reply('first')] });
    await handle.executeUpdate(sendMessageUpdate, { args: [reply('second')] });

    await eventually(() => rig.simulator.sent().filter((m) => m.to === conversation.customer.waId), (sent) => sent.length >= 1);
    await rig.env.sleep(6_000); // time stands still unless the test waits on it
    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === conversation.customer.waId), (s) => s.length === 2);
    expect(sent.map((m) => (m.body.text as { body: string }).body)).toEqual(['first', 'second']);

    const events = (await handle.fetchHistory()).events ?? [];
    const sends = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendMessage');
    expect(sends.map((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name)).toEqual([
      sendLaneQueue(rig.taskQueue, BUSINESS),
      sendLaneQueue(rig.taskQueue, BUSINESS),
    ]);
    const firstDone = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1) === Number(sends[0]!.eventId));
    expect(millis(sends[1]!.eventTime) - millis(firstDone!.eventTime)).toBeGreaterThanOrEqual(6_000);
    await keepHistory('paced-sends', handle);
  });

  it('does not hold back a reply to a customer who has not been written to for longer than the pacing interval', async () => {
    const { conversation, handle } = await openConversation();
    await handle.executeUpdate(sendMessageUpdate, { args: [reply('first')] });
    await eventually(() => rig.simulator.sent().filter((m) => m.to === conversation.customer.waId), (sent) => sent.length === 1);
    await rig.env.sleep(7_000);
    await handle.executeUpdate(sendMessageUpdate, { args: [reply('later')] });
    await eventually(() => rig.simulator.sent().filter((m) => m.to === conversation.customer.waId), (sent) => sent.length === 2);

    const timers = ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes);
    // Only the 24 h window timer: no pacing timer was needed.
    expect(timers).toHaveLength(1);
    expect(millis(timers[0]!.timerStartedEventAttributes?.startToFireTimeout)).toBeGreaterThan(23 * 60 * 60 * 1000);
  });
});
