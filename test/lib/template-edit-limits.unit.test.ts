import { nextEditAllowedAt } from '../../lib/template-rules';

/** Meta, "Edit templates": an APPROVED template once in 24 hours and 10 times in 30 days; REJECTED and PAUSED freely. */
const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2026-11-30T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

describe('when an approved template may next be edited', () => {
  it('now, when it was never edited, or last edited more than 24 hours ago', () => {
    expect(nextEditAllowedAt('APPROVED', [], now)).toBeUndefined();
    expect(nextEditAllowedAt('APPROVED', [ago(DAY + 1)], now)).toBeUndefined();
  });

  it('24 hours after its last edit', () => {
    expect(nextEditAllowedAt('APPROVED', [ago(5 * DAY), ago(2 * 3600_000)], now)).toEqual(new Date(now.getTime() - 2 * 3600_000 + DAY));
  });

  it('30 days after the oldest of ten edits in the last 30 days', () => {
    const ten = Array.from({ length: 10 }, (_, i) => ago((2 + i * 2.5) * DAY));
    expect(nextEditAllowedAt('APPROVED', ten, now)).toEqual(new Date(ten.at(-1)!.getTime() + 30 * DAY));
    expect(nextEditAllowedAt('APPROVED', ten.slice(0, 9), now)).toBeUndefined();
  });

  it.each(['REJECTED', 'PAUSED'])('never limits a %s one', (status) => {
    expect(nextEditAllowedAt(status, [ago(1000)], now)).toBeUndefined();
  });
});
