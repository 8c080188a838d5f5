import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { defaultMessagingLimits } from '../../lib/messaging-limits';
import { MachineConfig } from '../../lib/machine-config';
import type { ConversationInput } from '../../machines/conversation.types';
import { publish } from '../../store/machine-config.store';
import type { ConnectorWorker } from '../../worker/worker';
import { conversationStatusQuery, conversationWorkflowId, customerMessageSignal, sendMessageUpdate, type InboundMessage } from '../../workflows/conversation.messages';
import { uniqueId } from '../support/env';
import { keepHistory } from '../support/histories';
import { eventually, startTimeSkippingRig, type TimeSkippingRig } from '../support/workflow-env';

const EventType = temporal.api.enums.v1.EventType;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BUSINESS = '106540352242922';

let rig: TimeSkippingRig;
let worker: ConnectorWorker;
let running: Promise<void>;

beforeAll(async () => {
  rig = await startTimeSkippingRig();
  worker = await rig.newWorker({ ...defaultMessagingLimits, customerPacingMs: 0 });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await rig?.teardown();
});

/** The activity types of the history's local activity markers, in order. */
async function localActivities(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    return e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type] : [];
  });
}

async function timerEvents(handle: WorkflowHandle): Promise<{ started: number; canceled: number }> {
  const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
  return { started: types.filter((t) => t === EventType.EVENT_TYPE_TIMER_STARTED).length, canceled: types.filter((t) => t === EventType.EVENT_TYPE_TIMER_CANCELED).length };
}

/*
 * Issue 22's closed-loop cuts, seen from outside: a message accepted under the settings version the conversation
 * last read costs no settings read, a newer version is read and applied to that very message, and the window timer
 * kept armed across messages (no cancel and re-arm per message) still closes the window 24 h after the last one.
 */
describe('a busy conversation: settings read only when they changed, one timer kept armed', () => {
  it('reads settings again only for a newer version or a new minute, and expires the window 24 h after the last message', async () => {
    const v1 = await publish(rig.store, MachineConfig.parse({ autoReplies: { welcome: 'Welcome!' }, idleCloseAfterMinutes: 120 }), 'test');
    const waId = String(15550000000 + Math.floor(Math.random() * 9_999_999));
    const conversation: ConversationInput = { conversationId: conversationWorkflowId(BUSINESS, `${waId}-${uniqueId('c')}`), businessNumberId: BUSINESS, customer: { key: waId, waId }, idleCloseAfterMs: 2 * HOUR };
    const texts = () => rig.simulator.sent().filter((m) => m.to === waId).map((m) => (m.body as { text?: { body?: string } }).text?.body);
    const write = async (settingsVersion: number) => {
      const message: InboundMessage = { messageId: uniqueId('wamid'), sentAt: await rig.env.currentTimeMs(), kind: 'text', customer: { waId }, settingsVersion };
      const handle = await rig.env.client.workflow.signalWithStart('conversationWorkflow', { workflowId: conversation.conversationId, taskQueue: rig.taskQueue, args: [{ conversation }], signal: customerMessageSignal, signalArgs: [message] });
      await eventually(() => handle.query(conversationStatusQuery), (s) => s.lastMessages.some((m) => m.messageId === message.messageId));
      return handle;
    };

    // The read is reused within a minute of workflow time: start at the top of one, so the three messages below (5 s
    // apart and a few seconds of processing) share it whatever the wall clock says (a run at hh:mm:56 crossed one).
    await rig.env.sleep(60_000 - ((await rig.env.currentTimeMs()) % 60_000) + 1_000);
    const handle = await write(v1.version);
    await eventually(texts, (t) => t.length === 1);
    // Same version, same minute: the read is reused.
    await rig.env.sleep(5_000);
    await write(v1.version);
    // A newer version on the signal (the API saw a publish): read at once and applied to this message.
    const v2 = await publish(rig.store, MachineConfig.parse({ autoReplies: { welcome: 'Welcome!', outOfHours: 'We are closed.' }, businessHours: { timeZone: 'UTC', days: {} }, idleCloseAfterMinutes: 120 }), 'test');
    await write(v2.version);
    await eventually(texts, (t) => t.length === 2);
    expect(texts()).toEqual(['Welcome!', 'We are closed.']);
    // Three messages, two reads: the first message's, and the newer version's.
    expect((await localActivities(handle)).filter((a) => a === 'conversationSettings')).toHaveLength(2);

    // An hour later (a new minute: read again), the window's deadline moves past the timer armed for the first message.
    await rig.env.sleep(HOUR);
    const lastAt = await rig.env.currentTimeMs();
    await write(v2.version);
    expect((await localActivities(handle)).filter((a) => a === 'conversationSettings')).toHaveLength(3);
    expect(await timerEvents(handle)).toEqual({ started: 1, canceled: 0 });

    // Past the first message's 24 h (the kept timer fires early and re-arms), the window is still open for a reply…
    await rig.env.sleep(23 * HOUR + 30 * MINUTE);
    expect(await handle.query(conversationStatusQuery)).toMatchObject({ state: 'openSession', windowOpen: true });
    await handle.executeUpdate(sendMessageUpdate, { args: [{ messageId: uniqueId('msg'), message: { type: 'text', text: 'Still here' }, sender: { kind: 'agent', id: 'agent-7' } }] });
    // …and it expires 24 h after the last message, then the conversation closes after the idle period.
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ closedReason: 'idle' });
    const closedAt = (await handle.describe()).closeTime!.getTime();
    expect(closedAt - lastAt).toBeGreaterThanOrEqual(26 * HOUR);
    expect(closedAt - lastAt).toBeLessThan(26 * HOUR + MINUTE);
    expect(await timerEvents(handle)).toMatchObject({ canceled: 0 });
    await keepHistory('loop-batched-task', handle);
  }, 120_000);
});
