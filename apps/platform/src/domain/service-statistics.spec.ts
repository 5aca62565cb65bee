import { isValidCreditCode } from '@app/contracts';
import { complaintFigures, computeFigures, durationFigure, normalisedScores, SCORECARD_WEIGHTS, type StatComplaint, elapsedMs, elevatorFaults, median, offlineTime, percentile, rankScorecards, repairDeadlines, sharedParking, type StatAlarm, toCsv, weightedScore } from './service-statistics';

const T0 = Date.UTC(2026, 0, 1); // 2026-01-01T00:00Z, 08:00 in Asia/Shanghai
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const period = { from: T0, to: T0 + 30 * DAY };
const now = T0 + 40 * DAY;

const alarm = (o: Partial<StatAlarm>): StatAlarm => ({
  deviceId: 'E1', deviceKind: 'elevator', type: 'trapped_at_level', severity: 1, raisedAt: T0 + DAY,
  acknowledgedAt: null, arrivedAt: null, clearedAt: null, ackWithinS: 30, arrivalWithinS: 1800, ...o,
});

describe('service statistics', () => {
  it('never records a negative duration when the wall clock stepped back between two events (issue 9, NTP step of ±5 min)', () => {
    expect(elapsedMs(1_000_000, 1_000_000 - 300_000)).toBe(0);
    expect(elapsedMs(1_000_000, 1_000_000 + 300_000)).toBe(300_000);
  });

  it('median and nearest-rank p90', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([10, 20, 30, 40, 50], 90)).toBe(50);
  });

  it('trapped-passenger rescues reached within 30 minutes: 3 of 4 due, the pending one left out', () => {
    const rescues = [
      alarm({ arrivedAt: T0 + DAY + 10 * MIN }),
      alarm({ arrivedAt: T0 + DAY + 20 * MIN }),
      alarm({ arrivedAt: T0 + DAY + 30 * MIN }), // exactly on the deadline: met
      alarm({ arrivedAt: T0 + DAY + 50 * MIN }), // late
      alarm({ raisedAt: T0 - DAY, arrivedAt: T0 - DAY + MIN }), // before the period
    ];
    const f = durationFigure(rescues, period, now, 'arrival');
    expect(f).toEqual({ due: 4, done: 4, withinDeadline: 3, share: 0.75, medianS: 1500, p90S: 3000 });
    // Never reached and past its deadline: a miss; not yet due: left out.
    const open = [alarm({ raisedAt: T0 + 2 * DAY }), alarm({ raisedAt: now - 10 * MIN })];
    expect(durationFigure(open, { from: T0, to: now + 1 }, now, 'arrival')).toEqual({ due: 1, done: 0, withinDeadline: 0, share: 0, medianS: null, p90S: null });
  });

  it('acknowledgement against the first-tier deadline; alarms without one are not counted', () => {
    const f = durationFigure(
      [alarm({ acknowledgedAt: T0 + DAY + 20_000 }), alarm({ acknowledgedAt: T0 + DAY + 40_000 }), alarm({ ackWithinS: 0, acknowledgedAt: T0 + DAY + 1_000_000 })],
      period, now, 'ack',
    );
    expect(f).toEqual({ due: 2, done: 2, withinDeadline: 1, share: 0.5, medianS: 30, p90S: 40 });
  });

  it('fault rate = faults per elevator per 30 days; offline and emergency calls are not faults', () => {
    const alarms = [alarm({ type: 'door_fault' }), alarm({ type: 'door_fault', deviceId: 'E1' }), alarm({ type: 'power_failure', deviceId: 'E2' }), alarm({ type: 'offline' }), alarm({ type: 'emergency_call' }), alarm({ type: 'pressure_low', deviceKind: 'fire', deviceId: 'F1' })];
    const f = elevatorFaults(alarms, ['E1', 'E2', 'E3'], { from: T0, to: T0 + 15 * DAY });
    // 3 faults / 3 elevators / (15/30) = 2
    expect(f.faults).toBe(3);
    expect(f.faultsPerElevatorPer30Days).toBe(2);
    expect(f.perElevator).toEqual([{ deviceId: 'E1', faults: 2 }, { deviceId: 'E2', faults: 1 }, { deviceId: 'E3', faults: 0 }]);
    expect(elevatorFaults([], [], period).faultsPerElevatorPer30Days).toBeNull();
  });

  it('offline time: raised→cleared clipped to the period, overlaps merged, an open one runs to now', () => {
    const off = (deviceId: string, from: number, to: number | null) => alarm({ type: 'offline', deviceId, raisedAt: from, clearedAt: to });
    const p = { from: T0, to: T0 + 10 * DAY };
    const f = offlineTime(
      [off('E1', T0 - 2 * HOUR, T0 + 3 * HOUR), off('E1', T0 + 2 * HOUR, T0 + 4 * HOUR), off('E2', T0 + 10 * DAY - HOUR, T0 + 11 * DAY), off('E3', T0 + 9 * DAY, null)],
      ['E1', 'E2', 'E3', 'E4'], p, T0 + 9 * DAY + 6 * HOUR,
    );
    // E1: 4 h (clipped at the start, merged); E2: 1 h (clipped at the end) → but now is before it: 0; E3: 6 h (open, up to now)
    expect(f.perDevice).toEqual([{ deviceId: 'E3', offlineHours: 6 }, { deviceId: 'E1', offlineHours: 4 }, { deviceId: 'E2', offlineHours: 0 }, { deviceId: 'E4', offlineHours: 0 }]);
    expect(f.offlineHours).toBe(10);
    expect(f.offlineShare).toBeCloseTo(10 / (4 * (9 * 24 + 6)), 4);
    const after = offlineTime([off('E2', T0 + 10 * DAY - HOUR, T0 + 11 * DAY)], ['E2'], p, now);
    expect(after.offlineHours).toBe(1);
  });

  it('repair-case deadlines: met when done on time, missed when late or undone past it, running ones left out', () => {
    const f = repairDeadlines(
      [
        { caseId: 'a', kind: 'review', deadline: T0 + DAY, doneAt: T0 + DAY - 1 },
        { caseId: 'b', kind: 'review', deadline: T0 + DAY, doneAt: T0 + DAY + 1 },
        { caseId: 'c', kind: 'review', deadline: T0 + 2 * DAY, doneAt: null },
        { caseId: 'd', kind: 'review', deadline: T0 + 20 * DAY, doneAt: null },
        { caseId: 'e', kind: 'review', deadline: T0 - DAY, doneAt: T0 - 2 * DAY },
      ],
      period, T0 + 10 * DAY,
    );
    expect(f).toEqual({ due: 3, met: 1, share: 0.3333 });
  });

  it('shared-slot utilisation = booked hours / published hours', () => {
    // 2026-01-05 is a Monday; weekly Monday 09:00–17:00 local (8 h) over one week.
    const p = { from: Date.UTC(2026, 0, 4, 16), to: Date.UTC(2026, 0, 11, 16) }; // local 01-05 00:00 .. 01-12 00:00
    const slots = [
      { slotId: 's1', availability: { weekly: [{ weekday: 1, startMinute: 540, endMinute: 1020 }], dates: [], exceptions: [] } },
      { slotId: 's2', availability: { weekly: [], dates: [{ date: '2026-01-07', startMinute: 480, endMinute: 720 }], exceptions: [] } },
    ];
    const bookings = [
      { slotId: 's1', startsAt: Date.UTC(2026, 0, 5, 1), endsAt: Date.UTC(2026, 0, 5, 3) }, // 09:00–11:00 local: 2 h
      { slotId: 's2', startsAt: Date.UTC(2026, 0, 7, 0), endsAt: Date.UTC(2026, 0, 7, 4) }, // 08:00–12:00 local: 4 h
    ];
    expect(sharedParking(slots, bookings, p, 'Asia/Shanghai')).toEqual({ slots: 2, publishedHours: 12, bookedHours: 6, utilisation: 0.5 });
    expect(sharedParking([], [], p, 'Asia/Shanghai').utilisation).toBeNull();
  });

  it('scorecard: weighted, missing figures re-weighted, ranked with ties sharing a rank', () => {
    expect(weightedScore({ acknowledgement: 100, arrival: 50, elevatorFaults: null, deviceOnline: null, repairDeadlines: null, sharedParking: null, complaintsSettled: null, complaintSatisfaction: null })).toBe(75);
    expect(weightedScore({ acknowledgement: null, arrival: null, elevatorFaults: null, deviceOnline: null, repairDeadlines: null, sharedParking: null, complaintsSettled: null, complaintSatisfaction: null })).toBeNull();
    const empty = { alarms: [], elevatorIds: [], deviceIds: [], caseDeadlines: [], sharedSlots: [], bookings: [], complaints: [] };
    const good = computeFigures({ ...empty, alarms: [alarm({ acknowledgedAt: T0 + DAY + 10_000, arrivedAt: T0 + DAY + 10 * MIN })] }, period, now, 'Asia/Shanghai');
    const bad = computeFigures({ ...empty, alarms: [alarm({ acknowledgedAt: T0 + DAY + 100_000, arrivedAt: T0 + DAY + 40 * MIN })] }, period, now, 'Asia/Shanghai');
    const none = computeFigures(empty, period, now, 'Asia/Shanghai');
    const ranked = rankScorecards([
      { subject: 'C', name: 'C', figures: none },
      { subject: 'B', name: 'B', figures: bad },
      { subject: 'A2', name: 'A2', figures: good },
      { subject: 'A1', name: 'A1', figures: good },
    ]);
    expect(ranked.map((r) => [r.subject, r.rank, r.score])).toEqual([['A1', 1, 100], ['A2', 1, 100], ['B', 3, 0], ['C', 4, null]]);
  });

  it('credit codes carry a check character; CSV quotes and defuses formulas', () => {
    expect(isValidCreditCode('91350100M000100Y43')).toBe(true);
    expect(isValidCreditCode('91350100M000100Y44')).toBe(false);
    expect(isValidCreditCode('91350100M000100Y4')).toBe(false);
    expect(toCsv(['a', 'b'], [{ a: 'x,"y"', b: '=1+1' }, { a: null, b: 2 }])).toBe('a,b\r\n"x,""y""",\'=1+1\r\n,2\r\n');
  });
});

describe('complaint figures (接诉即办: 001 三(一)2, 003 (四)4 一般问题不出社区, 004 三(二)2 服务投诉快速处理机制)', () => {
  const item = (o: Partial<StatComplaint>): StatComplaint => ({
    filedBy: 'u1', category: 'repair', filedAt: T0 + DAY, respondedAt: null, resolvedAt: null, state: 'open', level: 'property', deadline: T0 + DAY + 72 * HOUR, satisfaction: null, reopened: 0, ...o,
  });

  it('counts, response and resolution minutes, overdue, satisfaction; items outside the period are left out', () => {
    const f = complaintFigures(
      [
        // answered in 30 min, resolved in 2 h by the company within its deadline, rated 5
        item({ filedBy: 'a', respondedAt: T0 + DAY + 30 * MIN, resolvedAt: T0 + DAY + 2 * HOUR, state: 'closed', satisfaction: 5 }),
        // answered in 90 min, resolved after it went up to the residents committee, rated 2
        item({ filedBy: 'b', category: 'environment', respondedAt: T0 + DAY + 90 * MIN, resolvedAt: T0 + 5 * DAY, state: 'closed', level: 'residents_committee', deadline: T0 + 7 * DAY, satisfaction: 2 }),
        // never answered, at the street, past its deadline now
        item({ filedBy: 'c', category: 'security', level: 'street', deadline: T0 + 20 * DAY }),
        // filed before the period: not counted
        item({ filedBy: 'd', filedAt: T0 - DAY, respondedAt: T0 - DAY + MIN }),
      ],
      period,
      now,
    );
    expect(f).toMatchObject({ count: 3, open: 1, overdue: 1, reopened: 0 });
    expect(f.response).toEqual({ done: 2, meanMinutes: 60, medianMinutes: 60, p90Minutes: 90 });
    expect(f.resolution).toEqual({ done: 2, meanMinutes: 2940, medianMinutes: 2940, p90Minutes: 5760 }); // 2 h and 4 days
    expect(f.settledByCompany).toEqual({ due: 3, met: 1, share: 0.3333 });
    expect(f.satisfaction).toEqual({ rated: 2, average: 3.5 });
  });

  it('an item still within the company\'s deadline is not yet due; one resolved late or reopened is not settled by the company', () => {
    const f = complaintFigures(
      [
        item({ filedBy: 'a', deadline: now + HOUR }),
        item({ filedBy: 'b', resolvedAt: T0 + 5 * DAY, state: 'resolved' }),
        item({ filedBy: 'c', resolvedAt: T0 + DAY + HOUR, state: 'resolved', reopened: 1 }),
      ],
      period,
      now,
    );
    expect(f.settledByCompany).toEqual({ due: 2, met: 0, share: 0 });
    expect(f.reopened).toBe(1);
  });

  it('a repeat is the same person and category again within 30 days, even when the earlier item was filed before the period', () => {
    const f = complaintFigures(
      [
        item({ filedBy: 'a', filedAt: T0 - 10 * DAY }), // before the period: only tells the next one is a repeat
        item({ filedBy: 'a', filedAt: T0 + DAY }), // repeat (11 days later)
        item({ filedBy: 'a', filedAt: T0 + 2 * DAY, category: 'parking' }), // other category: not a repeat
        item({ filedBy: 'b', filedAt: T0 + 3 * DAY }), // other person
        item({ filedBy: 'a', filedAt: T0 + 29 * DAY }), // 28 days after the second: repeat
      ],
      period,
      now,
    );
    expect(f.count).toBe(4);
    expect(f.repeat).toEqual({ count: 2, share: 0.5 });
  });

  it('feeds the scorecard: settled share and satisfaction as 0–100; without complaints a company scores as before (weights still sum to 1)', () => {
    expect(SCORECARD_WEIGHTS.reduce((s, w) => s + w.weight, 0)).toBeCloseTo(1, 9);
    const empty = { alarms: [], elevatorIds: [], deviceIds: [], caseDeadlines: [], sharedSlots: [], bookings: [], complaints: [] };
    const alarms = [alarm({ acknowledgedAt: T0 + DAY + 10_000, arrivedAt: T0 + DAY + 40 * MIN })];
    const without = computeFigures({ ...empty, alarms }, period, now, 'Asia/Shanghai');
    expect(weightedScore(normalisedScores(without))).toBe(50); // ack 100, arrival 0: as with the six figures alone
    const withComplaints = computeFigures(
      { ...empty, alarms, complaints: [item({ resolvedAt: T0 + DAY + HOUR, respondedAt: T0 + DAY + HOUR, state: 'closed', satisfaction: 4 })] },
      period,
      now,
      'Asia/Shanghai',
    );
    const scores = normalisedScores(withComplaints);
    expect(scores).toMatchObject({ complaintsSettled: 100, complaintSatisfaction: 75 });
    // (0.225 × 100 + 0.225 × 0 + 0.05 × 100 + 0.05 × 75) / 0.55
    expect(weightedScore(scores)).toBeCloseTo((22.5 + 5 + 3.75) / 0.55, 2);
  });
});
