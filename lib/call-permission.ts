/**
 * Whether the business may call a WhatsApp user now: the user's last call permission reply, and the limits Meta puts
 * on business-initiated calls, per business number and user. Pure: the reply, the pair's recent business-initiated
 * calls and the time come in. Meta's rules (Obtain user call permissions, updated Nov 13, 2025):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 * - a temporary permission lasts 7 days (168 h) from the user's approval (`expiration_timestamp`); a permanent one
 *   does not expire but has the same connected-call limit;
 * - at most 100 connected calls every 24 hours per business number and user;
 * - 2 consecutive unanswered calls: WhatsApp asks the user to reconsider; 4: the permission is revoked;
 * - at most 1 permission request in 24 hours and 2 in 7 days (the simulator enforces these as Meta does).
 */

export const CALL_PERMISSION_LIMITS = {
  temporaryPermissionMs: 7 * 86_400_000,
  connectedCallsPer24h: 100,
  unansweredCallsToRevoke: 4,
  permissionRequestsPer24h: 1,
  permissionRequestsPer7d: 2,
} as const;

/** The user's answer to a call permission request, from Meta's `interactive.call_permission_reply`. */
export interface CallPermissionReply {
  response: 'accept' | 'reject';
  isPermanent: boolean;
  /** Epoch ms; a temporary permission's end (Meta's `expiration_timestamp`, seconds). */
  expiresAt?: number;
  /** `user_action` (the user tapped) or `automatic` (e.g. granted by calling the business with callback on). */
  responseSource: string;
  /** When the user replied (the webhook message's `timestamp`), epoch ms. */
  repliedAt: number;
  /** The reply message's wamid. */
  messageId: string;
}

/** One business-initiated call of the pair, as the calls collection keeps it. */
export interface PastBusinessCall {
  offeredAt: number;
  answeredAt?: number;
  phase: string;
}

export type CallPermissionState = 'granted' | 'expired' | 'rejected' | 'revoked' | 'none';

export interface CallPermissionVerdict {
  state: CallPermissionState;
  /** Connected (answered) business-initiated calls in the last 24 hours. */
  connectedLast24h: number;
  /** Business-initiated calls since the permission was granted that the user did not answer, newest first, in a row. */
  consecutiveUnanswered: number;
  /** Whether a call may be placed now. */
  canCall: boolean;
  /** Why not: the stable error code and what to do; `retryAfterSeconds` for the 24-hour limit. */
  refusal?: { code: 'call_permission_required' | 'call_limit_reached'; detail: string; retryAfterSeconds?: number };
}

const DAY_MS = 86_400_000;

export function callPermissionVerdict(reply: CallPermissionReply | undefined, calls: PastBusinessCall[], now: number): CallPermissionVerdict {
  const connected = calls.filter((c) => c.answeredAt !== undefined && c.answeredAt > now - DAY_MS).sort((a, b) => a.answeredAt! - b.answeredAt!);
  const sinceGrant = calls.filter((c) => reply && c.offeredAt >= reply.repliedAt && c.phase !== 'ringing' && c.phase !== 'answered').sort((a, b) => b.offeredAt - a.offeredAt);
  let consecutiveUnanswered = 0;
  for (const call of sinceGrant) {
    if (call.answeredAt !== undefined || call.phase !== 'missed') break;
    consecutiveUnanswered += 1;
  }
  const state: CallPermissionState = !reply
    ? 'none'
    : reply.response === 'reject'
      ? 'rejected'
      : consecutiveUnanswered >= CALL_PERMISSION_LIMITS.unansweredCallsToRevoke
        ? 'revoked'
        : !reply.isPermanent && (reply.expiresAt ?? reply.repliedAt + CALL_PERMISSION_LIMITS.temporaryPermissionMs) <= now
          ? 'expired'
          : 'granted';
  const base = { state, connectedLast24h: connected.length, consecutiveUnanswered };
  if (state !== 'granted') {
    const why = {
      none: 'the customer has not answered a call permission request',
      rejected: 'the customer declined the call permission request',
      revoked: `${consecutiveUnanswered} business-initiated calls in a row went unanswered, which revokes the permission`,
      expired: 'the temporary call permission expired (7 days after the customer granted it)',
    }[state];
    // Why only: the code's title already says what to do (send a call permission request), and the SIP Reason joins both.
    return { ...base, canCall: false, refusal: { code: 'call_permission_required', detail: why } };
  }
  if (connected.length >= CALL_PERMISSION_LIMITS.connectedCallsPer24h) {
    const retryAfterSeconds = Math.max(1, Math.ceil((connected[connected.length - CALL_PERMISSION_LIMITS.connectedCallsPer24h]!.answeredAt! + DAY_MS - now) / 1000));
    return { ...base, canCall: false, refusal: { code: 'call_limit_reached', detail: `${connected.length} connected calls to this customer in the last 24 hours`, retryAfterSeconds } };
  }
  return { ...base, canCall: true };
}
