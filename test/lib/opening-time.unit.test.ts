import { MachineConfig, isOpenAt, nextOpeningAt } from '../../lib/machine-config';

const nineToSix = [{ from: '09:00', to: '18:00' }];
const paris = MachineConfig.parse({ businessHours: { timeZone: 'Europe/Paris', days: { mon: nineToSix, tue: nineToSix, fri: [{ from: '09:00', to: '12:00' }, { from: '14:00', to: '18:00' }] } } });

describe('nextOpeningAt: the instant the business next opens, from the configuration and a time passed in', () => {
  it('is 09:00 the same day for a message at 08:12 (Paris, winter: UTC+1)', () => {
    expect(new Date(nextOpeningAt(paris, Date.parse('2026-12-01T07:12:00Z'))!).toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });

  it('skips closed days and lunch breaks, and follows daylight saving time', () => {
    // Tuesday 18:30 → Friday 09:00.
    expect(new Date(nextOpeningAt(paris, Date.parse('2026-12-01T17:30:00Z'))!).toISOString()).toBe('2026-12-04T08:00:00.000Z');
    // Friday 12:30 → 14:00 the same day.
    expect(new Date(nextOpeningAt(paris, Date.parse('2026-12-04T11:30:00Z'))!).toISOString()).toBe('2026-12-04T13:00:00.000Z');
    // Friday 27 March 2026 19:00 (UTC+1) → Monday 30 March 09:00 (UTC+2 since Sunday).
    expect(new Date(nextOpeningAt(paris, Date.parse('2026-03-27T18:00:00Z'))!).toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  it('is open at the instant it returns and closed just before', () => {
    const at = Date.parse('2026-12-05T10:00:00Z');
    const opens = nextOpeningAt(paris, at)!;
    expect(isOpenAt(paris, opens)).toBe(true);
    expect(isOpenAt(paris, opens - 60_000)).toBe(false);
  });

  it('is undefined with no business hours (always open) or no open day', () => {
    expect(nextOpeningAt(MachineConfig.parse({}), Date.parse('2026-12-01T07:12:00Z'))).toBeUndefined();
    expect(nextOpeningAt(MachineConfig.parse({ businessHours: { timeZone: 'UTC', days: {} } }), Date.parse('2026-12-01T07:12:00Z'))).toBeUndefined();
  });
});
