import fc from 'fast-check';
import { availableIntervals, isAvailable, localToInstant, dayOfDate, merge, subtract, type Availability } from './parking-availability';

const TZ = 'Asia/Shanghai';
/** An instant given as Shanghai wall time. */
const at = (s: string) => Date.parse(`${s}+08:00`);
const none: Availability = { weekly: [], dates: [], exceptions: [] };
// 2025-06-02 is a Monday.
const MON = 1;
const FRI = 5;
const SAT = 6;
const SUN = 0;

describe('parking availability (Asia/Shanghai)', () => {
  it('maps local wall time to the right instant', () => {
    expect(localToInstant(dayOfDate('2025-06-02'), 8 * 60, TZ)).toBe(at('2025-06-02T08:00:00'));
  });

  it('a weekday window is available inside and not outside', () => {
    const a: Availability = { ...none, weekly: [{ weekday: MON, startMinute: 8 * 60, endMinute: 18 * 60 }] };
    expect(isAvailable(a, at('2025-06-02T09:00:00'), at('2025-06-02T17:00:00'), TZ)).toBe(true);
    expect(isAvailable(a, at('2025-06-02T08:00:00'), at('2025-06-02T18:00:00'), TZ)).toBe(true);
    expect(isAvailable(a, at('2025-06-02T07:59:00'), at('2025-06-02T10:00:00'), TZ)).toBe(false);
    expect(isAvailable(a, at('2025-06-02T17:00:00'), at('2025-06-02T18:01:00'), TZ)).toBe(false);
    expect(isAvailable(a, at('2025-06-03T09:00:00'), at('2025-06-03T10:00:00'), TZ)).toBe(false); // Tuesday
    expect(isAvailable(a, at('2025-06-09T09:00:00'), at('2025-06-09T10:00:00'), TZ)).toBe(true); // next Monday
  });

  it('a window crossing midnight runs into the next day', () => {
    const a: Availability = { ...none, weekly: [{ weekday: FRI, startMinute: 22 * 60, endMinute: 7 * 60 }] };
    expect(isAvailable(a, at('2025-06-06T23:00:00'), at('2025-06-07T06:30:00'), TZ)).toBe(true);
    expect(isAvailable(a, at('2025-06-07T06:00:00'), at('2025-06-07T07:30:00'), TZ)).toBe(false);
    // Queried from Saturday only, the Friday-night window still counts.
    expect(availableIntervals(a, at('2025-06-07T00:00:00'), at('2025-06-07T23:59:00'), TZ)).toEqual([
      { start: at('2025-06-07T00:00:00'), end: at('2025-06-07T07:00:00') },
    ]);
  });

  it('an end minute of 1440 means midnight, and adjacent windows join', () => {
    const a: Availability = {
      ...none,
      weekly: [
        { weekday: SAT, startMinute: 0, endMinute: 1440 },
        { weekday: SUN, startMinute: 0, endMinute: 12 * 60 },
      ],
    };
    expect(isAvailable(a, at('2025-06-07T20:00:00'), at('2025-06-08T11:00:00'), TZ)).toBe(true);
  });

  it('a one-off date adds availability on that date only', () => {
    const a: Availability = { ...none, dates: [{ date: '2025-06-04', startMinute: 9 * 60, endMinute: 12 * 60 }] };
    expect(isAvailable(a, at('2025-06-04T09:00:00'), at('2025-06-04T12:00:00'), TZ)).toBe(true);
    expect(isAvailable(a, at('2025-06-11T09:00:00'), at('2025-06-11T12:00:00'), TZ)).toBe(false);
  });

  it('an exception takes time out of a weekly window', () => {
    const a: Availability = {
      weekly: [{ weekday: MON, startMinute: 8 * 60, endMinute: 18 * 60 }],
      dates: [],
      exceptions: [{ date: '2025-06-02', startMinute: 12 * 60, endMinute: 13 * 60 }],
    };
    expect(availableIntervals(a, at('2025-06-02T00:00:00'), at('2025-06-03T00:00:00'), TZ)).toEqual([
      { start: at('2025-06-02T08:00:00'), end: at('2025-06-02T12:00:00') },
      { start: at('2025-06-02T13:00:00'), end: at('2025-06-02T18:00:00') },
    ]);
    expect(isAvailable(a, at('2025-06-02T11:00:00'), at('2025-06-02T12:30:00'), TZ)).toBe(false);
    expect(isAvailable(a, at('2025-06-09T11:00:00'), at('2025-06-09T12:30:00'), TZ)).toBe(true);
  });

  it('a whole-day exception (0–1440) removes the day, including a window crossing into it', () => {
    const a: Availability = {
      weekly: [{ weekday: FRI, startMinute: 22 * 60, endMinute: 7 * 60 }],
      dates: [],
      exceptions: [{ date: '2025-06-07', startMinute: 0, endMinute: 1440 }],
    };
    expect(availableIntervals(a, at('2025-06-06T00:00:00'), at('2025-06-08T00:00:00'), TZ)).toEqual([
      { start: at('2025-06-06T22:00:00'), end: at('2025-06-07T00:00:00') },
    ]);
  });

  it('withdrawn availability ends at the withdrawal instant', () => {
    const a: Availability = { ...none, weekly: [{ weekday: MON, startMinute: 8 * 60, endMinute: 18 * 60 }], withdrawnFrom: at('2025-06-02T10:00:00') };
    expect(isAvailable(a, at('2025-06-02T08:00:00'), at('2025-06-02T10:00:00'), TZ)).toBe(true);
    expect(isAvailable(a, at('2025-06-02T09:00:00'), at('2025-06-02T11:00:00'), TZ)).toBe(false);
    expect(isAvailable(a, at('2025-06-09T09:00:00'), at('2025-06-09T11:00:00'), TZ)).toBe(false);
  });

  it('nothing is available without windows, and an empty range is never available', () => {
    expect(isAvailable(none, at('2025-06-02T09:00:00'), at('2025-06-02T10:00:00'), TZ)).toBe(false);
    const all: Availability = { ...none, weekly: [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 })) };
    expect(availableIntervals(all, at('2025-06-02T09:00:00'), at('2025-06-02T09:00:00'), TZ)).toEqual([]);
    expect(isAvailable(all, at('2025-06-02T09:00:00'), at('2025-06-20T09:00:00'), TZ)).toBe(true);
  });

  it('uses the configured time zone (UTC differs from Shanghai by 8 h)', () => {
    const a: Availability = { ...none, weekly: [{ weekday: MON, startMinute: 8 * 60, endMinute: 9 * 60 }] };
    expect(isAvailable(a, at('2025-06-02T08:00:00'), at('2025-06-02T09:00:00'), TZ)).toBe(true);
    expect(isAvailable(a, at('2025-06-02T08:00:00'), at('2025-06-02T09:00:00'), 'UTC')).toBe(false);
    expect(isAvailable(a, Date.parse('2025-06-02T08:00:00Z'), Date.parse('2025-06-02T09:00:00Z'), 'UTC')).toBe(true);
  });

  it('properties: results lie in the range, are sorted and disjoint; subtracting then checking never overlaps', () => {
    const window = fc.record({ weekday: fc.integer({ min: 0, max: 6 }), startMinute: fc.integer({ min: 0, max: 1439 }), endMinute: fc.integer({ min: 1, max: 1440 }) });
    fc.assert(
      fc.property(fc.array(window, { maxLength: 5 }), fc.integer({ min: 0, max: 14 * 24 * 60 }), fc.integer({ min: 1, max: 3 * 24 * 60 }), (weekly, offset, length) => {
        const from = at('2025-06-01T00:00:00') + offset * 60_000;
        const to = from + length * 60_000;
        const result = availableIntervals({ weekly, dates: [], exceptions: [] }, from, to, TZ);
        for (let i = 0; i < result.length; i++) {
          expect(result[i].start).toBeGreaterThanOrEqual(from);
          expect(result[i].end).toBeLessThanOrEqual(to);
          expect(result[i].end).toBeGreaterThan(result[i].start);
          if (i > 0) expect(result[i].start).toBeGreaterThan(result[i - 1].end);
        }
        for (const r of result) expect(isAvailable({ weekly, dates: [], exceptions: [] }, r.start, r.end, TZ)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('merge and subtract', () => {
    expect(merge([{ start: 5, end: 7 }, { start: 1, end: 3 }, { start: 3, end: 4 }])).toEqual([{ start: 1, end: 4 }, { start: 5, end: 7 }]);
    expect(subtract([{ start: 0, end: 10 }], [{ start: 2, end: 3 }, { start: 8, end: 12 }])).toEqual([{ start: 0, end: 2 }, { start: 3, end: 8 }]);
  });
});
