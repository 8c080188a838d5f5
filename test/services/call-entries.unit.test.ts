/**
 * A conversation's calls as thread entries: the SIP side's calls joined with Meta's `calls` webhook reports by
 * direction and time (the webhook names Meta's call id, the SIP side the SIP Call-ID). Pure.
 */
import { joinCallEntries } from '../../services/call-entries';
import type { CallDoc } from '../../store/calls.store';
import type { CallEventDoc } from '../../store/call-events.store';

const T = Date.parse('2026-11-30T10:00:00Z');
const call = (callId: string, offeredAt: number, extra: Partial<CallDoc> = {}): CallDoc => ({
  _id: callId,
  callId,
  conversationId: 'wa:1:155',
  businessNumberId: '1',
  customerNumber: '155',
  direction: 'user_initiated',
  phase: 'ended',
  offeredAt,
  attempts: 1,
  queue: 'q',
  updatedAt: new Date(offeredAt),
  ...extra,
});
const event = (wacid: string, kind: string, at: number, extra: Partial<CallEventDoc> = {}): CallEventDoc => ({
  _id: `${wacid}:${kind}`,
  wacid,
  event: kind,
  direction: 'USER_INITIATED',
  businessNumberId: '1',
  customer: '155',
  conversationId: 'wa:1:155',
  at,
  receivedAt: new Date(at),
  ...extra,
});

test("each report goes with the call of its direction offered closest to its connect, within 60 s; Meta's duration fills a missing talk time", () => {
  const calls = [call('sip-a', T, { talkSeconds: 30, agentId: 'ag' }), call('sip-b', T + 600_000, { phase: 'abandoned', cause: 'customer_hung_up' })];
  const events = [
    event('wacid.B', 'connect', T + 600_500),
    event('wacid.B', 'terminate', T + 610_000, { status: 'FAILED' }),
    event('wacid.A', 'connect', T + 200),
    event('wacid.A', 'terminate', T + 40_000, { status: 'COMPLETED', startTime: T + 5_000, endTime: T + 36_000, durationSeconds: 31 }),
    // Reported by Meta, never seen by the SIP side (two minutes off any call): an entry of its own.
    event('wacid.C', 'terminate', T + 900_000, { status: 'COMPLETED', startTime: T + 880_000, durationSeconds: 20 }),
  ];
  const entries = joinCallEntries(calls, events);
  expect(entries.map((e) => [e.callId, e.wacid, e.outcome, e.durationSeconds])).toEqual([
    ['sip-a', 'wacid.A', 'ended', 30],
    ['sip-b', 'wacid.B', 'abandoned', undefined],
    [undefined, 'wacid.C', 'completed', 20],
  ]);
  expect(entries[0]!.meta).toEqual({ status: 'COMPLETED', startTime: new Date(T + 5_000).toISOString(), endTime: new Date(T + 36_000).toISOString(), durationSeconds: 31 });
  expect(entries[2]!.at).toBe(new Date(T + 880_000).toISOString());
});

test('a report of the other direction, or too far off, is not joined to a call', () => {
  const entries = joinCallEntries([call('sip-a', T)], [event('wacid.X', 'connect', T + 1_000, { direction: 'BUSINESS_INITIATED' }), event('wacid.Y', 'connect', T + 61_000)]);
  expect(entries.find((e) => e.callId === 'sip-a')!.wacid).toBeUndefined();
  expect(entries.filter((e) => !e.callId).map((e) => [e.wacid, e.direction, e.outcome])).toEqual([
    ['wacid.X', 'outbound', 'answered'],
    ['wacid.Y', 'inbound', 'ringing'],
  ]);
});

test("a user's call Meta reported only by its connect is ringing, not connected; its FAILED terminate (no start, end or duration: never connected) makes it failed", () => {
  // The user-initiated `connect` is Meta's offer: the call arrives, nobody has answered yet.
  const offered = joinCallEntries([], [event('wacid.U', 'connect', T)]);
  expect(offered).toEqual([{ kind: 'call', wacid: 'wacid.U', direction: 'inbound', at: new Date(T).toISOString(), outcome: 'ringing' }]);
  const unanswered = joinCallEntries([], [event('wacid.U', 'connect', T), event('wacid.U', 'terminate', T + 30_000, { status: 'FAILED' })]);
  expect(unanswered).toEqual([{ kind: 'call', wacid: 'wacid.U', direction: 'inbound', at: new Date(T).toISOString(), outcome: 'failed', meta: { status: 'FAILED' } }]);
});

test('a report dated ahead of its receipt shows at its receipt', () => {
  const entries = joinCallEntries([], [event('wacid.F', 'connect', T + 30 * 86_400_000, { receivedAt: new Date(T) })]);
  expect(entries[0]!.at).toBe(new Date(T).toISOString());
});
