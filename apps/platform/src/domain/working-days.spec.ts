import { localDate, startOfLocalDay } from './business-time';
import { addDays, emptyCalendar, isIsoDate, isWorkingDay, weekday, workingDayDeadline, workingDaysLeft, type HolidayCalendar } from './working-days';

const TZ = 'Asia/Shanghai';
/** An instant given as Shanghai wall time. */
const sh = (iso: string) => Date.parse(`${iso}+08:00`);

// 2025 National Day / Mid-Autumn: 1–8 Oct off; Sun 28 Sep and Sat 11 Oct are make-up working days.
const cal2025: HolidayCalendar = {
  holidays: new Set(['2025-10-01', '2025-10-02', '2025-10-03', '2025-10-06', '2025-10-07', '2025-10-08', '2025-05-01', '2025-05-02', '2025-05-05']),
  workdays: new Set(['2025-09-28', '2025-10-11', '2025-04-27']),
};

describe('working days', () => {
  it('knows weekdays, weekends, holidays and make-up days', () => {
    expect(weekday('2025-06-09')).toBe(1); // Monday
    expect(isWorkingDay('2025-06-09', emptyCalendar)).toBe(true);
    expect(isWorkingDay('2025-06-14', emptyCalendar)).toBe(false); // Saturday
    expect(isWorkingDay('2025-06-15', emptyCalendar)).toBe(false); // Sunday
    expect(isWorkingDay('2025-10-01', cal2025)).toBe(false); // Wednesday, holiday
    expect(isWorkingDay('2025-09-28', cal2025)).toBe(true); // Sunday, 调休
    expect(isWorkingDay('2025-10-11', cal2025)).toBe(true); // Saturday, 调休
  });

  it('validates and steps calendar dates', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2025-1-01')).toBe(false);
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
  });

  it('reads dates in the business zone, not UTC', () => {
    // 2025-06-09 23:30 in Shanghai is still 15:30 UTC the same day; 00:30 Shanghai is the previous day in UTC.
    expect(localDate(sh('2025-06-09T23:30:00'), TZ)).toBe('2025-06-09');
    expect(localDate(sh('2025-06-10T00:30:00'), TZ)).toBe('2025-06-10');
    expect(localDate(sh('2025-06-10T00:30:00'), 'UTC')).toBe('2025-06-09');
    expect(startOfLocalDay('2025-06-10', TZ)).toBe(sh('2025-06-10T00:00:00'));
  });

  it('3 working days from a Monday end on Thursday at midnight', () => {
    expect(workingDayDeadline(sh('2025-06-09T10:00:00'), 3, TZ, emptyCalendar)).toBe(sh('2025-06-13T00:00:00'));
  });

  it('skips the weekend: 3 working days from a Friday end on Wednesday at midnight', () => {
    expect(workingDayDeadline(sh('2025-06-13T16:00:00'), 3, TZ, emptyCalendar)).toBe(sh('2025-06-19T00:00:00'));
  });

  it('starting on a weekend counts from the next Monday', () => {
    expect(workingDayDeadline(sh('2025-06-14T09:00:00'), 1, TZ, emptyCalendar)).toBe(sh('2025-06-17T00:00:00'));
  });

  it('skips public holidays and counts make-up working days', () => {
    // From Fri 26 Sep: Sun 28 Sep (调休) is working day 1, Mon 29 is 2, Tue 30 is 3.
    expect(workingDayDeadline(sh('2025-09-26T10:00:00'), 3, TZ, cal2025)).toBe(sh('2025-10-01T00:00:00'));
    // From Tue 30 Sep: 1–8 Oct off, Thu 9 is day 1, Fri 10 day 2, Sat 11 (调休) day 3.
    expect(workingDayDeadline(sh('2025-09-30T10:00:00'), 3, TZ, cal2025)).toBe(sh('2025-10-12T00:00:00'));
    // Without the calendar the same span ends on Fri 3 Oct.
    expect(workingDayDeadline(sh('2025-09-30T10:00:00'), 3, TZ, emptyCalendar)).toBe(sh('2025-10-04T00:00:00'));
    // Fujian: 5 working days over May Day (Sun 27 Apr worked = 1, 28–30 Apr = 2–4, 1–5 May off, Tue 6 May = 5).
    expect(workingDayDeadline(sh('2025-04-25T10:00:00'), 5, TZ, cal2025)).toBe(sh('2025-05-07T00:00:00'));
  });

  it('a late-evening start in Shanghai is still that day (no UTC slip)', () => {
    // Fri 23:30 Shanghai = Fri 15:30 UTC; 1 working day → end of Monday.
    expect(workingDayDeadline(sh('2025-06-13T23:30:00'), 1, TZ, emptyCalendar)).toBe(sh('2025-06-17T00:00:00'));
  });

  it('0 working days: end of today if a working day, else of the next working day', () => {
    expect(workingDayDeadline(sh('2025-06-09T10:00:00'), 0, TZ, emptyCalendar)).toBe(sh('2025-06-10T00:00:00'));
    expect(workingDayDeadline(sh('2025-10-01T10:00:00'), 0, TZ, cal2025)).toBe(sh('2025-10-10T00:00:00'));
  });

  it('refuses a negative or fractional count', () => {
    expect(() => workingDayDeadline(0, -1, TZ, emptyCalendar)).toThrow('non-negative');
    expect(() => workingDayDeadline(0, 1.5, TZ, emptyCalendar)).toThrow('non-negative');
  });

  it('counts the working days left before a deadline, across a holiday, 0 on the last day, null after (domain-rules §3.4)', () => {
    // 5 working days from Fri 26 Sep 2025: Sun 28 (调休), Mon 29, Tue 30, Thu 9, Fri 10 Oct; ends 11 Oct 00:00.
    const deadline = workingDayDeadline(sh('2025-09-26T10:00:00'), 5, TZ, cal2025);
    expect(deadline).toBe(sh('2025-10-11T00:00:00'));
    expect(workingDaysLeft(sh('2025-09-26T10:00:00'), deadline, TZ, cal2025)).toBe(5);
    expect(workingDaysLeft(sh('2025-10-01T09:00:00'), deadline, TZ, cal2025)).toBe(2); // the holiday week does not count
    expect(workingDaysLeft(sh('2025-10-10T23:59:00'), deadline, TZ, cal2025)).toBe(0);
    expect(workingDaysLeft(deadline, deadline, TZ, cal2025)).toBeNull();
  });
});
