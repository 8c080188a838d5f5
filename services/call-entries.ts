/**
 * A conversation's calls as entries of its thread and of the analysts' timeline: what the SIP side saw (the `calls`
 * collection, written by each call's workflow) joined with what Meta reported by `calls` webhook (`call_events`).
 * The two are matched by conversation and time (a webhook names Meta's call id, the SIP side knows the SIP Call-ID):
 * an event group goes with the call of the same direction offered closest to its `connect` (at most 60 s apart).
 * A call Meta reported that never reached the SIP side still shows, from Meta's report alone.
 */
import { isCallStatus, listCallEvents, type CallEventDoc, type CallStatus } from '../store/call-events.store';
import { listCalls, type CallDoc } from '../store/calls.store';
import type { Store } from '../store/db';

/** One call in a conversation's thread (`GET /v1/conversations/{id}/messages` → `calls`) and timeline. */
export interface CallEntry {
  kind: 'call';
  /** The SIP Call-ID (the call's workflow is `call:<callId>`), when the SIP side saw the call. */
  callId?: string;
  /** Meta's call id, when a `calls` webhook named the call. */
  wacid?: string;
  /** `inbound`: the WhatsApp user called (USER_INITIATED); `outbound`: the business did. */
  direction: 'inbound' | 'outbound';
  /** When it was offered (ISO). */
  at: string;
  /** How it ended, or where it is: the SIP side's phase (`ended`, `missed`, `abandoned`, `failed`, `ringing`,
   * `answered`), else Meta's terminate status in lower case (`completed`, `failed`), else its latest call status
   * (`ringing`, `answered` for ACCEPTED, `rejected`), else, from Meta's `connect` alone, `ringing` (a user's call) or
   * `answered` (the business's call, which the user accepted). */
  outcome: string;
  cause?: string;
  agentId?: string;
  waitSeconds?: number;
  /** Talk time: the SIP side's, else Meta's `duration`. */
  durationSeconds?: number;
  /** What Meta's `terminate` webhook said: status, start and end (ISO), duration (s). */
  meta?: { status?: string; startTime?: string; endTime?: string; durationSeconds?: number };
}

const MATCH_WINDOW_MS = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const directionOf = (d: string | undefined): CallEntry['direction'] => (d === 'BUSINESS_INITIATED' || d === 'business_initiated' ? 'outbound' : 'inbound');

interface Reported {
  wacid: string;
  direction: CallEntry['direction'];
  at: number;
  terminate?: CallEventDoc;
  /** The latest of Meta's call statuses (a business-initiated call: RINGING, ACCEPTED, REJECTED). */
  status?: string;
}

/**
 * When an event happened as shown: Meta's time, but never later than we received it. A `timestamp` ahead of its
 * receipt (a clock running fast) must not show a call in the future; the window counts it the same way
 * (machines/conversation.rules.ts `lastCallAfter`).
 */
const shownAt = (e: CallEventDoc, at: number): number => Math.min(at, e.receivedAt instanceof Date ? e.receivedAt.getTime() : at);

function reportsOf(events: readonly CallEventDoc[]): Reported[] {
  const byCall = new Map<string, Reported>();
  for (const e of events) {
    const r = byCall.get(e.wacid) ?? { wacid: e.wacid, direction: directionOf(e.direction), at: shownAt(e, e.at) };
    if (e.event === 'connect') r.at = shownAt(e, e.at);
    if (e.event === 'status' && e.status) r.status = e.status;
    if (e.event === 'terminate') {
      r.terminate = e;
      if (!byCall.has(e.wacid)) r.at = shownAt(e, e.startTime ?? e.at);
    }
    byCall.set(e.wacid, r);
  }
  return [...byCall.values()];
}

function metaOf(t: CallEventDoc | undefined): CallEntry['meta'] | undefined {
  if (!t) return undefined;
  return {
    ...(t.status ? { status: t.status } : {}),
    ...(t.startTime !== undefined ? { startTime: iso(t.startTime) } : {}),
    ...(t.endTime !== undefined ? { endTime: iso(t.endTime) } : {}),
    ...(t.durationSeconds !== undefined ? { durationSeconds: t.durationSeconds } : {}),
  };
}

/**
 * Where a call Meta reported without its `terminate` yet stands. A user's `connect` is Meta's offer: the call arrives
 * and nobody has answered it yet (user-initiated calls page), so it rings; on a business's call the `connect` comes
 * once the user accepted it (business-initiated calls page), so it is answered. Neither says the call connected and
 * ended well: that is `terminate` COMPLETED.
 */
/** Meta's call status of a business-initiated call, as the thread says it before the terminate. */
const STATUS_PHASE: Record<CallStatus, string> = { RINGING: 'ringing', ACCEPTED: 'answered', REJECTED: 'rejected' };

const reportedPhase = (direction: CallEntry['direction']): string => (direction === 'inbound' ? 'ringing' : 'answered');

/** Joins the SIP side's calls with Meta's reports; oldest first. Pure. */
export function joinCallEntries(calls: readonly CallDoc[], events: readonly CallEventDoc[]): CallEntry[] {
  const reports = reportsOf(events);
  const taken = new Set<Reported>();
  const entries: CallEntry[] = calls.map((c) => {
    const direction = directionOf(c.direction);
    const report = reports
      .filter((r) => !taken.has(r) && r.direction === direction && Math.abs(r.at - c.offeredAt) <= MATCH_WINDOW_MS)
      .sort((a, b) => Math.abs(a.at - c.offeredAt) - Math.abs(b.at - c.offeredAt))[0];
    if (report) taken.add(report);
    const meta = metaOf(report?.terminate);
    const duration = c.talkSeconds ?? meta?.durationSeconds;
    return {
      kind: 'call',
      callId: c.callId,
      ...(report ? { wacid: report.wacid } : {}),
      direction,
      at: iso(c.offeredAt),
      outcome: c.phase,
      ...(c.cause ? { cause: c.cause } : {}),
      ...(c.agentId ? { agentId: c.agentId } : {}),
      ...(c.waitSeconds !== undefined ? { waitSeconds: c.waitSeconds } : {}),
      ...(duration !== undefined ? { durationSeconds: duration } : {}),
      ...(meta ? { meta } : {}),
    };
  });
  for (const r of reports.filter((report) => !taken.has(report))) {
    const meta = metaOf(r.terminate);
    entries.push({
      kind: 'call',
      wacid: r.wacid,
      direction: r.direction,
      at: iso(r.at),
      outcome: meta?.status?.toLowerCase() ?? (r.status ? (isCallStatus(r.status) ? STATUS_PHASE[r.status] : r.status.toLowerCase()) : reportedPhase(r.direction)),
      ...(meta?.durationSeconds !== undefined ? { durationSeconds: meta.durationSeconds } : {}),
      ...(meta ? { meta } : {}),
    });
  }
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** A conversation's calls, oldest first; `agentId` narrows them to the calls that agent took. */
export async function callEntries(store: Store, conversationId: string, agentId?: string): Promise<CallEntry[]> {
  const [calls, events] = await Promise.all([listCalls(store, conversationId), listCallEvents(store, conversationId)]);
  const entries = joinCallEntries(calls, events);
  return agentId ? entries.filter((e) => e.agentId === agentId) : entries;
}
