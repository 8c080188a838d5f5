import { defaultPayloadConverter, type DataConverter, type Payload } from '@temporalio/common';
import { timeOf } from './history.meta';

/**
 * Histories are read here in Temporal's standard JSON (what `temporal workflow show --output json` prints and the
 * files hold), not as protobuf objects: converting a whole history to protobuf costs more than folding it, and the
 * fold reads a few fields of a few events. Payloads are converted, and decoded, only where the fold needs them.
 */
type JsonPayload = { metadata?: Record<string, string>; data?: string };
type JsonPayloads = { payloads?: JsonPayload[] } | null | undefined;
type JsonEvent = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What a workflow task handed the workflow (its activation's jobs), in history order. */
export type TaskJob =
  | { kind: 'signal'; name: string; args: unknown[] }
  | { kind: 'activityDone'; scheduledEventId: number; ok: boolean; result?: unknown }
  | { kind: 'timerFired'; timerId: string };

/** What the workflow did in a task (its commands and what Temporal recorded with them), in history order. */
export type TaskCommand =
  | { kind: 'update'; name: string; args: unknown[] }
  | { kind: 'localActivity'; activityType: string; completeTime: number | undefined; result: unknown }
  | { kind: 'timerStarted'; timerId: string; ms: number }
  | { kind: 'patch'; id: string };

/** One completed workflow task: its workflow time (epoch ms of WorkflowTaskStarted), jobs and commands. */
export interface WorkflowTask {
  startedAt: number;
  jobs: TaskJob[];
  commands: TaskCommand[];
}

/** An activity the workflow scheduled: its type and first argument. */
export interface ScheduledActivity {
  activityType: string;
  input: unknown;
  /** askBot: the bot's read receipt (`sendReceipt`) scheduled just before it, which the bot's answer waits for. */
  receiptEventId?: number;
}

/** A history cut into its workflow tasks, with the start input and the scheduled activities by event id. */
export interface HistoryTasks {
  input: unknown;
  tasks: WorkflowTask[];
  activities: Map<number, ScheduledActivity>;
}

/** The activities whose input the fold reads; the others' payloads are never decoded. */
const READ_INPUTS = new Set(['sendMessage', 'askBot', 'routeToAgent', 'sendReceipt']);
/** The activities whose results become machine events. */
const READ_RESULTS = new Set(['sendMessage', 'askBot', 'routeToAgent']);

/** A protobuf Duration in JSON: `"86399.024s"`, to ms. */
const durationMs = (d: unknown): number => Math.round(Number(String(d ?? '0s').replace(/s$/, '')) * 1_000);
const PLAIN = Buffer.from('json/plain').toString('base64');
const toProto = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

/**
 * Decodes payloads as the SDK's replayer would: through the data converter's codecs (newest last, so decoded in
 * reverse), then the default JSON payload converter. Plain JSON payloads are parsed directly, touching no codec.
 */
export async function decodePayloads(payloads: JsonPayloads, dataConverter?: DataConverter): Promise<unknown[]> {
  const list = payloads?.payloads ?? [];
  if (list.every((p) => p.metadata?.encoding === PLAIN)) return list.map((p) => JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8')));
  let protos = list.map(toProto);
  for (const codec of [...(dataConverter?.payloadCodecs ?? [])].reverse()) protos = await codec.decode(protos);
  return protos.map((p) => defaultPayloadConverter.fromPayload(p));
}

/**
 * Cuts a history into workflow tasks as Temporal's core hands them to the workflow: events after a task's
 * WorkflowTaskCompleted that the workflow caused (markers, timers, activities scheduled, Updates accepted) are that
 * task's commands; signals, activity results and fired timers wait for the next task that completes (a task that
 * failed or timed out hands them on to the next). Jobs after the last completed task are left out, as in a replay.
 */
export async function workflowTasksOf(history: { events?: JsonEvent[] }, dataConverter?: DataConverter): Promise<HistoryTasks> {
  const events = history.events ?? [];
  const decode = (p: JsonPayloads) => decodePayloads(p, dataConverter);
  const [input] = await decode(events[0]?.workflowExecutionStartedEventAttributes?.input);
  const tasks: WorkflowTask[] = [];
  const activities = new Map<number, ScheduledActivity>();
  let jobs: TaskJob[] = [];
  let startedAt = 0;
  let current: WorkflowTask | undefined;
  let lastScheduled: { eventId: number; type: string; messageId?: unknown; task: WorkflowTask } | undefined;
  for (const event of events) {
    if (event.workflowTaskStartedEventAttributes) startedAt = timeOf(event as never);
    else if (event.workflowTaskCompletedEventAttributes) {
      current = { startedAt, jobs, commands: [] };
      tasks.push(current);
      jobs = [];
    } else if (event.workflowExecutionSignaledEventAttributes) {
      const a = event.workflowExecutionSignaledEventAttributes;
      jobs.push({ kind: 'signal', name: a.signalName ?? '', args: await decode(a.input) });
    } else if (event.activityTaskCompletedEventAttributes) {
      const a = event.activityTaskCompletedEventAttributes;
      const type = activities.get(Number(a.scheduledEventId))?.activityType ?? '';
      const reads = READ_RESULTS.has(type);
      jobs.push({ kind: 'activityDone', scheduledEventId: Number(a.scheduledEventId), ok: true, ...(reads ? { result: (await decode(a.result))[0] } : {}) });
    } else if (event.activityTaskFailedEventAttributes || event.activityTaskTimedOutEventAttributes || event.activityTaskCanceledEventAttributes) {
      const a = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
      jobs.push({ kind: 'activityDone', scheduledEventId: Number(a.scheduledEventId), ok: false });
    } else if (event.timerFiredEventAttributes) {
      jobs.push({ kind: 'timerFired', timerId: event.timerFiredEventAttributes.timerId ?? '' });
    } else if (current) {
      await addCommand(event, current);
    }
  }
  return { input, tasks, activities };

  async function addCommand(event: JsonEvent, task: WorkflowTask): Promise<void> {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch') {
      const [data] = (await decode(marker.details?.['patch-data'])) as { id: string }[];
      task.commands.push({ kind: 'patch', id: data!.id });
    } else if (marker?.markerName === 'core_local_activity') {
      const [data] = (await decode(marker.details?.data)) as { activity_type: string; complete_time?: { seconds: number; nanos: number } | null }[];
      const reads = data!.activity_type === 'conversationSettings';
      const result = reads ? (await decode(marker.details?.result))[0] : undefined;
      const completeTime = data!.complete_time ? data!.complete_time.seconds * 1_000 + Math.floor(data!.complete_time.nanos / 1e6) : undefined;
      task.commands.push({ kind: 'localActivity', activityType: data!.activity_type, completeTime, result });
    } else if (event.timerStartedEventAttributes) {
      const a = event.timerStartedEventAttributes;
      task.commands.push({ kind: 'timerStarted', timerId: a.timerId ?? '', ms: durationMs(a.startToFireTimeout) });
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      const request = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input;
      task.commands.push({ kind: 'update', name: request?.name ?? '', args: await decode(request?.args) });
    } else if (event.activityTaskScheduledEventAttributes) {
      const a = event.activityTaskScheduledEventAttributes;
      const type = a.activityType?.name ?? '';
      const eventId = Number(event.eventId);
      const [input] = READ_INPUTS.has(type) ? await decode(a.input) : [undefined];
      const messageId = (input as { messageId?: unknown } | undefined)?.messageId;
      const scheduled: ScheduledActivity = { activityType: type, input };
      const prior = lastScheduled;
      if (type === 'askBot' && prior?.task === task && prior.type === 'sendReceipt' && prior.messageId === messageId) scheduled.receiptEventId = prior.eventId;
      activities.set(eventId, scheduled);
      lastScheduled = { eventId, type, messageId, task };
    }
  }
}
