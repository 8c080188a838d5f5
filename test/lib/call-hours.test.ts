/** Meta's call hours (calling.call_hours), judged at the INVITE: weekly spans in the number's time zone, holidays closed. */
import { isWithinCallHours, type CallHours } from '../../lib/call-hours';

const hours: CallHours = {
  status: 'ENABLED',
  timezone_id: 'America/Manaus', // UTC-4, no daylight saving
  weekly_operating_hours: [{ day_of_week: 'MONDAY', open_time: '0900', close_time: '1700' }],
  holiday_schedule: [{ date: '2026-12-07', start_time: '0000', end_time: '2359' }],
};
// Monday 30 November 2026.
const utc = (day: number, hh: number, mm = 0) => Date.UTC(2026, 10, day, hh, mm);

test('open on Monday 09:00-17:00 Manaus time, closed a minute either side', () => {
  expect(isWithinCallHours(hours, utc(30, 13, 0))).toBe(true); // 09:00 in Manaus
  expect(isWithinCallHours(hours, utc(30, 12, 59))).toBe(false); // 08:59
  expect(isWithinCallHours(hours, utc(30, 20, 59))).toBe(true); // 16:59
  expect(isWithinCallHours(hours, utc(30, 21, 0))).toBe(false); // 17:00: closed
});

test('closed on a day without hours, and all day on a holiday', () => {
  expect(isWithinCallHours(hours, Date.UTC(2026, 11, 1, 14))).toBe(false); // Tuesday
  expect(isWithinCallHours(hours, Date.UTC(2026, 11, 7, 14))).toBe(false); // Monday, holiday
});

test('no call hours, or call hours disabled: always open', () => {
  expect(isWithinCallHours(undefined, utc(30, 3))).toBe(true);
  expect(isWithinCallHours({ ...hours, status: 'DISABLED' }, utc(30, 3))).toBe(true);
});
