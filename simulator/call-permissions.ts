/**
 * Call permissions as Meta keeps them, for the simulator: the interactive `call_permission_request` (its shape, and
 * the limits per business number and user: 1 request in 24 hours, 2 in 7 days, code 138009 past them), the user's
 * reply (the `call_permission_reply` webhook, Meta's payload) and `GET /<PHONE_NUMBER_ID>/call_permissions?user_wa_id=`.
 * Kept across restarts under `npm start` (simulator/state-file.ts).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting/ (138009)
 */
import type { Express, Request } from 'express';
import { newWamid } from './cloud-api.payloads';
import { inboundMessageWebhook } from './inbound-payloads';
import { permissionRepliesIn } from './calls-webhook';
import { refusal, sendMetaError } from './errors';
import type { CloudRefusal } from './session-messages.validate';
import type { StateFile } from './state-file';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const DAY_MS = 86_400_000;
const invalid = (field: string, why: string): CloudRefusal => ({ status: 400, code: 131009, message: `(#131009) Parameter value is not valid: ${field} ${why}` });
const missing = (field: string): CloudRefusal => ({ status: 400, code: 131008, message: `(#131008) Required parameter is missing: ${field}` });

/** Meta's shape: `{type: call_permission_request, body: {text}, action: {name: call_permission_request}}`, no header or footer. */
export function refusalOfCallPermissionRequest(i: Json): CloudRefusal | null {
  if (!isObject(i.body) || typeof i.body.text !== 'string' || i.body.text === '') return missing('interactive.body.text');
  if ([...i.body.text].length > 1024) return invalid('interactive.body.text', 'is longer than 1024 characters');
  if (!isObject(i.action) || i.action.name !== 'call_permission_request') return invalid('interactive.action.name', 'must be call_permission_request');
  for (const key of ['header', 'footer']) if (i[key] !== undefined) return invalid(`interactive.${key}`, 'is not part of a call permission request');
  return null;
}

export interface ReplyOptions {
  phoneNumberId: string;
  displayPhoneNumber?: string;
  from: string;
  response: 'accept' | 'reject';
  isPermanent?: boolean;
  /** Seconds; default 7 days after now for a temporary acceptance. */
  expirationTimestamp?: number;
  responseSource?: 'user_action' | 'automatic';
  /** The request answered (context.id). */
  requestWamid?: string;
  timestamp?: number;
}

/** What is kept across restarts (`call-permissions.json`): requests sent (epoch ms, per number and user) and permissions. */
export interface CallPermissionsState {
  requests: [key: string, sentAt: number[]][];
  granted: [key: string, permission: { expiresAt?: number; permanent: boolean }][];
}

export function installCallPermissions(app: Express, deps: { authorized(req: Request): boolean; deliverWebhook(body: object): Promise<unknown>; clock?: () => number; state?: StateFile<CallPermissionsState> }) {
  const now = deps.clock ?? (() => Date.now());
  const kept = deps.state?.load();
  const requests = new Map<string, number[]>(kept?.requests ?? []);
  const granted = new Map<string, { expiresAt?: number; permanent: boolean }>(kept?.granted ?? []);
  // Requests older than the 7-day limit count for nothing: they are not kept.
  const save = () => deps.state?.save(() => ({ requests: [...requests.entries()].map(([k, sent]) => [k, sent.filter((t) => t > now() - 7 * DAY_MS)] as [string, number[]]).filter(([, sent]) => sent.length > 0), granted: [...granted.entries()] }), true);
  const key = (phoneNumberId: string, waId: string) => `${phoneNumberId}:${waId.replace(/\D/g, '')}`;
  /** The permission `k` holds at `at`, if any. */
  const liveAt = (k: string, at: number) => {
    const held = granted.get(k);
    return held && (held.permanent || (held.expiresAt ?? 0) > at) ? held : undefined;
  };
  /** The user's answer, the one permission Meta keeps per number and user: `expiresAt` epoch ms, undefined: permanent. */
  const answered = (phoneNumberId: string, waId: string, accepted: boolean, expiresAt?: number) => {
    if (accepted) granted.set(key(phoneNumberId, waId), { permanent: expiresAt === undefined, ...(expiresAt !== undefined ? { expiresAt } : {}) });
    else granted.delete(key(phoneNumberId, waId));
    save();
  };
  const usage = (k: string, at: number) => {
    const sent = (requests.get(k) ?? []).filter((t) => t > at - 7 * DAY_MS);
    return { day: sent.filter((t) => t > at - DAY_MS).length, week: sent.length };
  };

  app.get('/:version/:phoneNumberId/call_permissions', (req, res) => {
    if (!deps.authorized(req)) return sendMetaError(res, refusal(190, 'Invalid OAuth access token'), 401);
    const user = typeof req.query.user_wa_id === 'string' ? req.query.user_wa_id : '';
    if (!/^\+?\d{6,20}$/.test(user)) return sendMetaError(res, refusal(100, 'user_wa_id: a WhatsApp user phone number is required'), 400);
    const at = now();
    const k = key(String(req.params.phoneNumberId), user);
    const live = liveAt(k, at);
    const { day, week } = usage(k, at);
    res.json({
      messaging_product: 'whatsapp',
      permission: { status: live ? 'granted' : 'no_permission', ...(live?.expiresAt && !live.permanent ? { expiration_time: Math.floor(live.expiresAt / 1000) } : {}) },
      actions: [
        {
          action_name: 'send_call_permission_request',
          can_perform_action: day < 1 && week < 2,
          limits: [
            { time_period: 'PT24H', max_allowed: 1, current_usage: day },
            { time_period: 'P7D', max_allowed: 2, current_usage: week },
          ],
        },
        { action_name: 'start_call', can_perform_action: live !== undefined, limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 0 }] },
      ],
    });
  });

  return {
    /** Whether the user lets the number call them now: what the SIP side admits a business-initiated INVITE by. */
    holds: (phoneNumberId: string, waId: string): boolean => liveAt(key(phoneNumberId, waId), now()) !== undefined,
    /** The simulator's control: the user gave permission (until `expiresAt`, epoch ms; unset: permanent); `false` takes it back. */
    grant(phoneNumberId: string, waId: string, expiresAt: number | false = Number.POSITIVE_INFINITY): void {
      answered(phoneNumberId, waId, expiresAt !== false, expiresAt === false || !Number.isFinite(expiresAt) ? undefined : expiresAt);
    },
    /** Observer of every webhook delivered: a `call_permission_reply` (one a test posts too) is the user's answer. */
    noteDelivered(body: unknown): void {
      for (const r of permissionRepliesIn(body)) answered(r.phoneNumberId, r.customer, r.accepted, r.expiresAt);
    },
    /** A send of `interactive.call_permission_request`: Meta's refusal, or null after counting it against the limits. */
    takeRequest(phoneNumberId: string, to: string, interactive: Json): CloudRefusal | null {
      const shape = refusalOfCallPermissionRequest(interactive);
      if (shape) return shape;
      const at = now();
      const k = key(phoneNumberId, to);
      const { day, week } = usage(k, at);
      if (day >= 1 || week >= 2) {
        return { status: 400, code: 138009, message: `(#138009) Call permission request limit reached: ${day >= 1 ? '1 request in 24 hours' : '2 requests in 7 days'} to this user` };
      }
      requests.set(k, [...(requests.get(k) ?? []), at]);
      save();
      return null;
    },
    /** The user answers: Meta's `call_permission_reply` webhook, delivered, and the permission kept for GET call_permissions. */
    async replyToCallPermission(opts: ReplyOptions): Promise<{ wamid: string }> {
      const at = opts.timestamp ?? Math.floor(now() / 1000);
      const permanent = opts.isPermanent ?? false;
      const expires = opts.response === 'accept' && !permanent ? (opts.expirationTimestamp ?? at + 7 * 86_400) : undefined;
      const wamid = newWamid();
      answered(opts.phoneNumberId, opts.from, opts.response === 'accept', expires ? expires * 1000 : undefined);
      await deps.deliverWebhook(
        inboundMessageWebhook({
          phoneNumberId: opts.phoneNumberId,
          ...(opts.displayPhoneNumber ? { displayPhoneNumber: opts.displayPhoneNumber } : {}),
          from: opts.from,
          wamid,
          timestamp: at,
          type: 'interactive',
          ...(opts.requestWamid ? { context: { from: opts.displayPhoneNumber?.replace(/\D/g, '') ?? '', id: opts.requestWamid } } : {}),
          content: {
            type: 'call_permission_reply',
            call_permission_reply: {
              response: opts.response,
              is_permanent: permanent,
              ...(expires ? { expiration_timestamp: expires } : {}),
              response_source: opts.responseSource ?? 'user_action',
            },
          },
        }),
      );
      return { wamid };
    },
  };
}
