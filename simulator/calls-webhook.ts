/**
 * What Meta sends about a WhatsApp call beside its SIP signalling: the `calls` webhook (`connect` when the call
 * starts, `terminate` with status, start and end times and duration when it ends), and the SDP Meta offers or
 * answers with (WebRTC media: ICE, DTLS-SRTP fingerprint, Opus, rtcp-mux).
 * For SIP-enabled numbers Meta sends call webhooks only when webhook delivery for SIP calls is enabled:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 * Payloads: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls/
 * and .../calling/business-initiated-calls/ (field `calls`, `value.calls[]`).
 */
import { randomBytes } from 'node:crypto';
import type { CloudWebhookBody } from './cloud-api.payloads';
import { webhookItems } from './webhook-items';

export type CallDirection = 'USER_INITIATED' | 'BUSINESS_INITIATED';

export interface CallParties {
  wacid: string;
  phoneNumberId: string;
  /** The business number as Meta displays it (digits). */
  displayPhoneNumber: string;
  /** The WhatsApp user's wa_id (digits). */
  customer: string;
  profileName?: string;
  direction: CallDirection;
  wabaId?: string;
}

/** Meta's call ids look like `wacid.<base64>`; opaque to the business. */
export const newWacid = (): string => `wacid.${randomBytes(24).toString('base64url')}`;

const seconds = (ms: number) => String(Math.floor(ms / 1000));

function callsBody(p: CallParties, call: Record<string, unknown>): CloudWebhookBody {
  const user = p.direction === 'USER_INITIATED' ? { from: p.customer, to: p.displayPhoneNumber } : { from: p.displayPhoneNumber, to: p.customer };
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: p.wabaId ?? '102290129340398',
        changes: [
          {
            field: 'calls',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: p.displayPhoneNumber, phone_number_id: p.phoneNumberId },
              contacts: [{ profile: { name: p.profileName ?? 'WhatsApp user' }, wa_id: p.customer }],
              calls: [{ id: p.wacid, ...user, direction: p.direction, ...call }],
            },
          },
        ],
      },
    ],
  };
}

/** `connect`: a user's call arrives (with Meta's SDP offer), or the user accepted a business's call (its answer). */
export function callConnectWebhook(p: CallParties, at: number, sdp: string): CloudWebhookBody {
  return callsBody(p, { event: 'connect', timestamp: seconds(at), session: { sdp_type: p.direction === 'USER_INITIATED' ? 'offer' : 'answer', sdp } });
}

/** `terminate`: the call ended. COMPLETED after a connected call (with its start, end and duration), else FAILED. */
export function callTerminateWebhook(p: CallParties, at: number, call: { answeredAt?: number; endedAt: number }): CloudWebhookBody {
  const connected = call.answeredAt !== undefined;
  return callsBody(p, {
    event: 'terminate',
    timestamp: seconds(at),
    status: connected ? 'COMPLETED' : 'FAILED',
    ...(connected
      ? { start_time: seconds(call.answeredAt!), end_time: seconds(call.endedAt), duration: Math.max(0, Math.round((call.endedAt - call.answeredAt!) / 1000)) }
      : {}),
  });
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase().match(/../g)!.join(':');

/** An SDP shaped like Meta's WebRTC media: ICE (ufrag, pwd, a host candidate), DTLS-SRTP, Opus, rtcp-mux. */
export function metaSdp(role: 'offer' | 'answer', host: string, mediaPort: number): string {
  return [
    'v=0',
    `o=- ${BigInt(`0x${randomBytes(7).toString('hex')}`)} 2 IN IP4 ${host}`,
    's=-',
    't=0 0',
    'a=group:BUNDLE audio',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 126',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    `a=ice-ufrag:${randomBytes(3).toString('base64url')}`,
    `a=ice-pwd:${randomBytes(18).toString('base64url')}`,
    `a=fingerprint:sha-256 ${hex(32)}`,
    `a=setup:${role === 'offer' ? 'actpass' : 'active'}`,
    'a=mid:audio',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:126 telephone-event/8000',
    `a=candidate:1 1 udp 2122260223 ${host} ${mediaPort} typ host`,
  ].join('\r\n') + '\r\n';
}

/**
 * A `call_permission_reply` the simulator delivered (an interactive reply in the `messages` field), read back so a
 * business-initiated INVITE is let through while the permission holds. Meta's shape:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 */
export function permissionRepliesIn(body: unknown): { phoneNumberId: string; customer: string; accepted: boolean; expiresAt?: number }[] {
  type Msg = { from: string; interactive: { type?: string; call_permission_reply?: { response?: string; expiration_timestamp?: number | string; is_permanent?: boolean } } };
  return webhookItems<Msg>(body, 'messages').flatMap(({ field, phoneNumberId, item: m }) => {
    const reply = field === 'messages' && m.interactive?.type === 'call_permission_reply' ? m.interactive.call_permission_reply : undefined;
    if (!reply || !m.from) return [];
    const expires = Number(reply.expiration_timestamp);
    return [{ phoneNumberId, customer: m.from, accepted: reply.response === 'accept', ...(Number.isFinite(expires) && !reply.is_permanent ? { expiresAt: expires * 1000 } : {}) }];
  });
}
