import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from './history.types';

type HistoryEvent = NonNullable<History['events']>[number];

/** A history in Temporal's standard JSON, as read from a file (`historyFromJSON` turns it into protobuf objects). */
export interface JsonHistory {
  events?: Record<string, unknown>[];
}

/**
 * Epoch ms of an event time (truncated, as the workflow's clock reads it); seconds arrive as a Long, a number or a
 * string depending on how the history was read, and the whole time as an ISO string in Temporal's JSON.
 */
export function timeOf(event: HistoryEvent | undefined): number {
  const ts = event?.eventTime;
  if (!ts) return 0;
  if (typeof ts === 'string') return Date.parse(ts); // V8 keeps the first three digits of the fraction

  const seconds = ts.seconds as unknown as { toNumber?: () => number } | number | string | null | undefined;
  const whole = typeof seconds === 'object' && seconds?.toNumber ? seconds.toNumber() : Number(seconds ?? 0);
  return whole * 1_000 + Math.floor((ts.nanos ?? 0) / 1_000_000);
}

/** How a run ended, as its last event says; `running` when the history has no closing event yet. */
export type RunEnding = 'completed' | 'continuedAsNew' | 'failed' | 'terminated' | 'canceled' | 'timedOut' | 'running';

const endings: [keyof HistoryEvent, RunEnding][] = [
  ['workflowExecutionCompletedEventAttributes', 'completed'],
  ['workflowExecutionContinuedAsNewEventAttributes', 'continuedAsNew'],
  ['workflowExecutionFailedEventAttributes', 'failed'],
  ['workflowExecutionTerminatedEventAttributes', 'terminated'],
  ['workflowExecutionCanceledEventAttributes', 'canceled'],
  ['workflowExecutionTimedOutEventAttributes', 'timedOut'],
];

/** What analysts need to know about a run without replaying it. */
export interface RunMeta {
  workflowType: string;
  startedAt: number;
  /** Time of the last event: the close time for a finished run. */
  lastEventAt: number;
  ending: RunEnding;
  eventCount: number;
}

/** Works on a protobuf history and on its JSON form (`JsonHistory`) alike: it reads fields both spell the same. */
export function runMetaOf(history: History | JsonHistory): RunMeta {
  const events = (history.events ?? []) as HistoryEvent[];
  const first = events[0];
  const last = events[events.length - 1];
  const ending = last ? endings.find(([key]) => last[key] != null)?.[1] : undefined;
  return {
    workflowType: first?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown',
    startedAt: timeOf(first),
    lastEventAt: timeOf(last),
    ending: ending ?? 'running',
    eventCount: events.length,
  };
}

/** The run id recorded when the run started (histories do not otherwise carry it). */
export function runIdOf(history: History): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId ?? undefined;
}

/** The workflow's first argument, decoded; undefined when it is not plain JSON. */
export function payloadOf(history: History): unknown {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}

/** A readable name for an event: `MarkerRecorded`, `TimerStarted`… */
export function eventName(event: HistoryEvent): string {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes') && event[k as keyof HistoryEvent] != null);
  if (!key) return 'Unknown';
  const base = key.slice(0, -'EventAttributes'.length);
  return base.charAt(0).toUpperCase() + base.slice(1);
}

const localActivitySeq = (event: HistoryEvent): number | undefined => {
  const marker = event.markerRecordedEventAttributes;
  const payload = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0] : undefined;
  return payload ? (defaultPayloadConverter.fromPayload(payload) as { seq?: number }).seq : undefined;
};

const patchId = (event: HistoryEvent): string | undefined => {
  const marker = event.markerRecordedEventAttributes;
  const payload = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0] : undefined;
  return payload ? (defaultPayloadConverter.fromPayload(payload) as { id?: string }).id : undefined;
};

/**
 * The event a nondeterminism error is about. Temporal's core names it either directly (`HistoryEvent(id: 12, …)`),
 * by the command's sequence number (`LocalActivity(3)`, `Timer(2)`, `Activity(1)`), or by a `patched()` change id
 * whose marker the new code no longer asks for; the last two are mapped back here.
 */
export function offendingEvent(history: History, message: string): { eventId: number; eventType: string } | undefined {
  const events = history.events ?? [];
  const found = (event: HistoryEvent | undefined) => (event ? { eventId: Number(event.eventId), eventType: eventName(event) } : undefined);
  const direct = /HistoryEvent\(id: (\d+)/.exec(message);
  if (direct) return found(events.find((e) => Number(e.eventId) === Number(direct[1])));
  const patch = /patch marker encountered for change ([^,\s]+)/.exec(message);
  if (patch) return found(events.find((e) => patchId(e) === patch[1]));
  const bySeq = /\b(LocalActivity|Timer|Activity)\((\d+)\)/.exec(message);
  if (!bySeq) return undefined;
  const seq = Number(bySeq[2]);
  if (bySeq[1] === 'LocalActivity') return found(events.find((e) => localActivitySeq(e) === seq));
  if (bySeq[1] === 'Timer') return found(events.find((e) => e.timerStartedEventAttributes?.timerId === String(seq)));
  return found(events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === String(seq)));
}
