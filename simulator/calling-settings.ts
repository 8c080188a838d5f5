/**
 * Meta's calling settings of a business number, as the simulator serves them:
 * POST /<PHONE_NUMBER_ID>/settings with `{ calling: {...} }` (answers `{"success": true}`), and
 * GET /<PHONE_NUMBER_ID>/settings (`?include_sip_credentials=true` adds the SIP password Meta generates per number
 * and app). Refusals are Meta's: code 100 "Invalid parameter" with the reason in error_data.details. Kept across
 * restarts under `npm start` (simulator/state-file.ts), as Meta keeps them.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/call-settings/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { randomBytes } from 'node:crypto';
import type { Express, Request } from 'express';
import { z } from 'zod';
import { refusal, sendMetaError } from './errors';
import type { StateFile } from './state-file';

const hhmm = z.string().regex(/^([01]\d|2[0-3])[0-5]\d$/, 'expected HHMM');
const onOff = z.enum(['ENABLED', 'DISABLED']);
const tz = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'timezone_id is not a valid time zone');

const CallHours = z
  .strictObject({
    status: onOff,
    timezone_id: tz,
    weekly_operating_hours: z
      .array(z.strictObject({ day_of_week: z.enum(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']), open_time: hhmm, close_time: hhmm }))
      .min(1)
      .refine((spans) => spans.every((s) => s.open_time < s.close_time), 'open_time must be before close_time'),
    holiday_schedule: z
      .array(z.strictObject({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), start_time: hhmm, end_time: hhmm }))
      .max(20)
      .optional(),
  });

export const CallingSettingsBody = z.strictObject({
  calling: z.strictObject({
    status: onOff.optional(),
    call_icon_visibility: z.enum(['DEFAULT', 'DISABLE_ALL']).optional(),
    call_hours: CallHours.optional(),
    callback_permission_status: onOff.optional(),
    sip: z
      .strictObject({
        status: onOff,
        servers: z.array(z.strictObject({ hostname: z.string().min(1), port: z.number().int().min(1).max(65535).optional(), request_uri_user_params: z.record(z.string(), z.string()).optional() })).max(1).optional(),
      })
      .refine((s) => s.status === 'DISABLED' || (s.servers?.length ?? 0) === 1, 'sip.servers needs one server when sip is ENABLED')
      .optional(),
  }),
});

export interface Held {
  calling: Record<string, unknown>;
  sipPassword?: string;
}

/** What is kept across restarts (`calling-settings.json`): every number's settings and SIP password. */
export interface CallingSettingsState {
  numbers: [phoneNumberId: string, held: Held][];
}

export function installCallingSettings(app: Express, { authorized, state }: { authorized(req: Request): boolean; state?: StateFile<CallingSettingsState> }) {
  const numbers = new Map<string, Held>(state?.load()?.numbers ?? []);

  app.post('/:version/:phoneNumberId/settings', (req, res) => {
    if (!authorized(req)) return sendMetaError(res, refusal(190, 'Invalid OAuth access token'), 401);
    const parsed = CallingSettingsBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return sendMetaError(res, refusal(100, `${issue.path.join('.')}: ${issue.message}`), 400);
    }
    const id = String(req.params.phoneNumberId);
    const held = numbers.get(id) ?? { calling: {} };
    // Each field given replaces the one held (call_hours whole, as Meta says); the rest are kept.
    held.calling = { ...held.calling, ...parsed.data.calling };
    if (parsed.data.calling.sip?.status === 'ENABLED') held.sipPassword ??= randomBytes(12).toString('base64url');
    numbers.set(id, held);
    state?.save(() => ({ numbers: [...numbers.entries()] }), true);
    res.json({ success: true });
  });

  app.get('/:version/:phoneNumberId/settings', (req, res) => {
    if (!authorized(req)) return sendMetaError(res, refusal(190, 'Invalid OAuth access token'), 401);
    const held = numbers.get(String(req.params.phoneNumberId)) ?? { calling: { status: 'DISABLED' } };
    const withCredentials = req.query.include_sip_credentials === 'true';
    const sip = held.calling.sip as { status: string; servers?: Record<string, unknown>[] } | undefined;
    const calling = {
      ...held.calling,
      ...(sip
        ? { sip: { ...sip, servers: (sip.servers ?? []).map((s) => ({ ...s, ...(withCredentials && held.sipPassword ? { sip_user_password: held.sipPassword } : {}) })) } }
        : {}),
    };
    res.json({ calling });
  });

  return {
    /** What the number's settings are at "Meta" now, and its generated SIP password. */
    callingSettings: (phoneNumberId: string): Held | undefined => numbers.get(phoneNumberId),
    /** Every number with settings, for the SIP side (which number's password a business's INVITE proves). */
    numbers: (): [string, Held][] => [...numbers.entries()],
  };
}
