/**
 * Meta's call hours (`calling.call_hours` of POST /<PHONE_NUMBER_ID>/settings): weekly open spans as HHMM in an
 * IANA time zone, and holidays (a date with a closed span). Outside them Meta shows the user the hours instead of
 * placing the call; the connector judges the same rule at the INVITE, so a call that still arrives (settings pushed
 * late, a clock at the border) is answered as configured rather than ringing an empty contact centre.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/call-settings/ . Pure.
 */

export interface CallHours {
  status: 'ENABLED' | 'DISABLED';
  timezone_id: string;
  weekly_operating_hours: { day_of_week: string; open_time: string; close_time: string }[];
  holiday_schedule?: { date: string; start_time: string; end_time: string }[];
}

function localParts(at: number, zone: string): { day: string; date: string; hhmm: string } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: get('weekday').toUpperCase(), date: `${get('year')}-${get('month')}-${get('day')}`, hhmm: `${get('hour')}${get('minute')}` };
}

/** Whether calls are taken at `at` (epoch ms). No call hours, or call hours DISABLED: always. */
export function isWithinCallHours(hours: CallHours | undefined, at: number): boolean {
  if (!hours || hours.status !== 'ENABLED') return true;
  const { day, date, hhmm } = localParts(at, hours.timezone_id);
  // A holiday's span is closed time (Meta: "holiday_schedule … the business is closed").
  if ((hours.holiday_schedule ?? []).some((h) => h.date === date && h.start_time <= hhmm && hhmm <= h.end_time)) return false;
  return hours.weekly_operating_hours.some((s) => s.day_of_week === day && s.open_time <= hhmm && hhmm < s.close_time);
}

/** The `calling` settings of a number, in Meta's shape (POST /<PHONE_NUMBER_ID>/settings). */
export interface CallingSettings {
  status: 'ENABLED' | 'DISABLED';
  call_icon_visibility?: 'DEFAULT' | 'DISABLE_ALL';
  call_hours?: CallHours;
  callback_permission_status?: 'ENABLED' | 'DISABLED';
  sip?: { status: 'ENABLED' | 'DISABLED'; servers?: { hostname: string; port?: number; request_uri_user_params?: Record<string, string> }[] };
}
