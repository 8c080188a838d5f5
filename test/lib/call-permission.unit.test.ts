/**
 * Meta's rules on calling a WhatsApp user, over the kept reply and the pair's business-initiated calls (pure):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 */
import { callPermissionVerdict, type CallPermissionReply, type PastBusinessCall } from '../../lib/call-permission';
import { readInbound } from '../../lib/inbound-message';

const DAY = 86_400_000;
const now = Date.parse('2026-11-30T12:00:00Z');
const accepted = (over: Partial<CallPermissionReply> = {}): CallPermissionReply => ({
  response: 'accept',
  isPermanent: false,
  expiresAt: now + 6 * DAY,
  responseSource: 'user_action',
  repliedAt: now - DAY,
  messageId: 'wamid.reply',
  ...over,
});
const answered = (hoursAgo: number): PastBusinessCall => ({ offeredAt: now - hoursAgo * 3_600_000, answeredAt: now - hoursAgo * 3_600_000 + 5_000, phase: 'ended' });
const missed = (hoursAgo: number): PastBusinessCall => ({ offeredAt: now - hoursAgo * 3_600_000, phase: 'missed' });

test('no reply, a declined request, an expired temporary permission: no call, call_permission_required', () => {
  expect(callPermissionVerdict(undefined, [], now)).toMatchObject({ state: 'none', canCall: false, refusal: { code: 'call_permission_required' } });
  expect(callPermissionVerdict(accepted({ response: 'reject' }), [], now)).toMatchObject({ state: 'rejected', canCall: false });
  expect(callPermissionVerdict(accepted({ expiresAt: now }), [], now)).toMatchObject({ state: 'expired', canCall: false });
  expect(callPermissionVerdict(accepted({ expiresAt: now + 1 }), [], now)).toMatchObject({ state: 'granted', canCall: true });
  // Without expiration_timestamp a temporary permission lasts 7 days (168 h) from the approval.
  expect(callPermissionVerdict(accepted({ expiresAt: undefined, repliedAt: now - 7 * DAY }), [], now).state).toBe('expired');
  expect(callPermissionVerdict(accepted({ expiresAt: undefined, repliedAt: now - 7 * DAY + 1 }), [], now).state).toBe('granted');
  // A permanent permission does not expire.
  expect(callPermissionVerdict(accepted({ isPermanent: true, expiresAt: undefined, repliedAt: now - 400 * DAY }), [], now).state).toBe('granted');
});

test('100 connected calls in 24 hours: the 101st is refused until the oldest is 24 hours old', () => {
  const calls = Array.from({ length: 100 }, (_, i) => answered(23 - i * 0.2));
  const verdict = callPermissionVerdict(accepted({ isPermanent: true }), calls, now);
  expect(verdict).toMatchObject({ state: 'granted', canCall: false, connectedLast24h: 100, refusal: { code: 'call_limit_reached', retryAfterSeconds: 3_600 + 5 } });
  expect(callPermissionVerdict(accepted({ isPermanent: true }), calls.slice(1), now)).toMatchObject({ canCall: true, connectedLast24h: 99 });
  // Calls answered more than 24 hours ago do not count.
  expect(callPermissionVerdict(accepted({ isPermanent: true }), [...calls.slice(1), answered(25)], now).canCall).toBe(true);
});

test('4 unanswered calls in a row revoke the permission; an answered one in between resets the count', () => {
  const reply = accepted({ isPermanent: true, repliedAt: now - 2 * DAY });
  expect(callPermissionVerdict(reply, [missed(1), missed(2), missed(3)], now)).toMatchObject({ state: 'granted', consecutiveUnanswered: 3, canCall: true });
  expect(callPermissionVerdict(reply, [missed(1), missed(2), missed(3), missed(4)], now)).toMatchObject({ state: 'revoked', consecutiveUnanswered: 4, canCall: false });
  expect(callPermissionVerdict(reply, [missed(1), missed(2), answered(3), missed(4), missed(5)], now)).toMatchObject({ state: 'granted', consecutiveUnanswered: 2 });
  // Calls before the permission was granted again do not count against it.
  expect(callPermissionVerdict(accepted({ isPermanent: true, repliedAt: now - 3_600_000 * 1.5 }), [missed(1), missed(2), missed(3), missed(4)], now)).toMatchObject({ state: 'granted', consecutiveUnanswered: 1 });
});

test("Meta's call_permission_reply message, the user's own, is their interactive message carrying the reply, times in ms; an automatic one is an event", () => {
  const read = readInbound({
    context: { from: '12025550107', id: 'wamid.request' },
    from: '15551234567',
    id: 'wamid.reply',
    timestamp: '1753420560',
    interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, expiration_timestamp: 1754025360, response_source: 'user_action' } },
    type: 'interactive',
  });
  expect(read).toEqual({
    category: 'customer',
    kind: 'interactive',
    content: { callPermissionReply: { response: 'accept', isPermanent: false, expiresAt: 1754025360000, responseSource: 'user_action', repliedAt: 1753420560000, messageId: 'wamid.reply' } },
  });
  const automatic = readInbound({
    from: '15551234567',
    id: 'wamid.auto',
    timestamp: '1753420560',
    interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, expiration_timestamp: 1754025360, response_source: 'automatic' } },
    type: 'interactive',
  });
  expect(automatic).toMatchObject({ category: 'event', kind: 'call_permission_reply', content: { callPermissionReply: { responseSource: 'automatic' } } });
  // A reply whose response is not Meta's is not taken for one.
  const odd = readInbound({ from: '15551234567', id: 'wamid.x', timestamp: '1753420560', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'maybe' } }, type: 'interactive' });
  expect(odd.category).toBe('customer');
});
