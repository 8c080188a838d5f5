import { z } from 'zod';
import 'zod-openapi';

/**
 * How conversations behave, as supervisors configure it. Versioned in MongoDB (store/machine-config.store.ts); the
 * workflow reads the published version through an activity at each customer event, so the choice is in its history.
 */

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
const span = z
  .strictObject({ from: clock, to: clock })
  .refine((s) => s.from < s.to, { message: '"from" must be before "to" (split a span that crosses midnight in two)', path: ['to'] });

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

const timeZone = z.string().refine(isTimeZone, { message: 'not an IANA time zone (e.g. Europe/Paris)' });

const replyText = z.string().trim().min(1).max(4096);

const RoutingRule = z.strictObject({
  businessNumberId: z.string().regex(/^\d{1,32}$/).optional(),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/).optional().meta({ description: 'Customer language, e.g. es or pt_BR' }),
  hours: span.optional().meta({ description: 'Time of day the rule applies, in businessHours.timeZone (UTC if none)' }),
  queue: z.string().min(1).max(128),
  skill: z.string().min(1).max(128).optional(),
});

const defaultBusyRetry = { initialSeconds: 30, maxSeconds: 300, maxAttempts: 10 };
const BusyRetry = z
  .strictObject({
    initialSeconds: z.number().int().min(1).max(3_600).default(defaultBusyRetry.initialSeconds),
    maxSeconds: z.number().int().min(1).max(86_400).default(defaultBusyRetry.maxSeconds),
    maxAttempts: z.number().int().min(1).max(100).default(defaultBusyRetry.maxAttempts),
  })
  .refine((r) => r.initialSeconds <= r.maxSeconds, { message: 'initialSeconds must not exceed maxSeconds', path: ['maxSeconds'] });

export const MachineConfig = z
  .strictObject({
    chatbot: z
      .strictObject({
        enabled: z.boolean().default(false),
        endpoint: z.url({ protocol: /^https?$/ }).optional(),
        timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
      })
      .refine((c) => !c.enabled || c.endpoint !== undefined, { message: 'an enabled chatbot needs an endpoint', path: ['endpoint'] })
      .default({ enabled: false, timeoutMs: 5_000 }),
    routing: z
      .strictObject({
        defaultQueue: z.string().min(1).max(128).default('default'),
        defaultSkill: z.string().min(1).max(128).optional(),
        /** First match wins; unmatched conversations go to the default queue. */
        rules: z.array(RoutingRule).max(200).default([]),
        retry: BusyRetry.default(defaultBusyRetry).meta({ description: 'Busy (486/480/503/600) or unanswered: wait and try again' }),
        fallback: z
          .strictObject({
            queue: z.string().min(1).max(128).optional().meta({ description: 'Tried once when the first queue refuses (404, 403…) or stays busy' }),
            autoReply: replyText.optional().meta({ description: 'Sent when nobody can be reached' }),
          })
          .default({}),
      })
      .default({ defaultQueue: 'default', rules: [], retry: defaultBusyRetry, fallback: {} }),
    agentCapacity: z.number().int().min(1).max(50).default(3).meta({ description: 'Conversations one agent holds at once' }),
    autoReplies: z
      .strictObject({
        welcome: replyText.optional(),
        queue: replyText.optional(),
        outOfHours: replyText.optional(),
        unsupportedType: replyText.optional(),
      })
      .default({}),
    businessHours: z
      .strictObject({
        timeZone,
        /** Open spans per weekday; a day left out is closed. */
        days: z.partialRecord(z.enum(weekdays), z.array(span).max(4)),
      })
      .optional()
      .meta({ description: 'Absent: always open' }),
    idleCloseAfterMinutes: z.number().int().min(5).max(30 * 24 * 60).default(24 * 60),
  })
  .meta({ id: 'MachineConfig' });

export type MachineConfig = z.infer<typeof MachineConfig>;

/** The configuration before any supervisor published one. */
export const defaultMachineConfig: MachineConfig = MachineConfig.parse({});

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The ways the hours read a local time: weekday and HH:MM; the date and HH:MM (the wall clock). */
const shapes = {
  weekdayTime: ['en-GB', { weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }],
  dateTime: ['en-US', { hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }],
} as const satisfies Record<string, [string, Intl.DateTimeFormatOptions]>;
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * One formatter per shape and zone, kept: building one costs about as much as a settings read's other work (over
 * 100 µs), and `nextOpeningAt` takes dozens. A formatter holds no time of its own, so reuse changes no answer.
 */
function formatter(shape: keyof typeof shapes, zone: string): Intl.DateTimeFormat {
  const key = `${shape} ${zone}`;
  let kept = formatters.get(key);
  if (!kept) {
    const [locale, options] = shapes[shape];
    kept = new Intl.DateTimeFormat(locale, { ...options, timeZone: zone });
    formatters.set(key, kept);
  }
  return kept;
}

/** Weekday and HH:MM of `at` in `zone`. */
export function localTime(at: number, zone: string): { day: Weekday; time: string } {
  const parts = formatter('weekdayTime', zone).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: get('weekday').toLowerCase().slice(0, 3) as Weekday, time: `${get('hour')}:${get('minute')}` };
}

/** Whether the business is open at `at`; no business hours configured means always open. */
export function isOpenAt(config: MachineConfig, at: number): boolean {
  if (!config.businessHours) return true;
  const { day, time } = localTime(at, config.businessHours.timeZone);
  return (config.businessHours.days[day] ?? []).some((s) => s.from <= time && time < s.to);
}

/**
 * When the business next opens after `at` (epoch ms, exclusive): the earliest start of an open span in
 * `businessHours.timeZone` (daylight saving time followed), looked for over the coming week. Undefined with no business
 * hours (always open) or no open span. Meant for a time the business is closed (a span that starts while another
 * runs is no opening). Pure: the caller passes the time (the workflow's, through the settings read).
 */
export function nextOpeningAt(config: MachineConfig, at: number): number | undefined {
  const hours = config.businessHours;
  if (!hours) return undefined;
  const today = wallClock(at, hours.timeZone);
  for (let ahead = 0; ahead <= 7; ahead += 1) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + ahead));
    const day = weekdays[(date.getUTCDay() + 6) % 7]!;
    for (const from of (hours.days[day] ?? []).map((s) => s.from).sort()) {
      const [hh, mm] = from.split(':').map(Number) as [number, number];
      const instant = zonedInstant(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), hh, mm), hours.timeZone);
      // A start that falls in a daylight-saving gap does not exist: the next one is taken.
      if (instant > at && isOpenAt(config, instant)) return instant;
    }
  }
  return undefined;
}

/** The wall clock in `zone` at `at`: year, month (1-12), day, hour (0-23) and minute. */
function wallClock(at: number, zone: string): { year: number; month: number; day: number; hour: number; minute: number } {
  const parts = formatter('dateTime', zone).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/** How far `zone` is ahead of UTC at `at` (ms). */
function zoneOffset(at: number, zone: string): number {
  const wall = wallClock(at, zone);
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute) - Math.floor(at / 60_000) * 60_000;
}

/** The instant a wall-clock time (given as if it were UTC) is in `zone`: the offset is taken again at the result, for DST. */
function zonedInstant(wall: number, zone: string): number {
  const first = wall - zoneOffset(wall, zone);
  return wall - zoneOffset(first, zone);
}

/** The queue and skill for a conversation: the first matching rule, else the default. */
export function routeFor(config: MachineConfig, businessNumberId: string, language: string | undefined, at: number): { queue: string; skill?: string } {
  const time = localTime(at, config.businessHours?.timeZone ?? 'UTC').time;
  const rule = config.routing.rules.find(
    (r) =>
      (r.businessNumberId === undefined || r.businessNumberId === businessNumberId) &&
      (r.language === undefined || (language !== undefined && (language === r.language || language.split('_')[0] === r.language))) &&
      (r.hours === undefined || (r.hours.from <= time && time < r.hours.to)),
  );
  const skill = rule ? rule.skill : config.routing.defaultSkill;
  return { queue: rule?.queue ?? config.routing.defaultQueue, ...(skill ? { skill } : {}) };
}
