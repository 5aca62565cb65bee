import { elevatorEventSchema, elevatorReadingSchema, type ElevatorReading } from '@app/contracts';
import { Rng } from '../random';
import { ElevatorModel } from './elevator';

const STEP_MS = 100;

function run(model: ElevatorModel, ms: number): ElevatorReading[] {
  const out: ElevatorReading[] = [];
  for (let t = 0; t < ms; t += STEP_MS) {
    model.step(STEP_MS);
    out.push(model.reading(1_700_000_000_000 + model.clockMs));
  }
  return out;
}

describe('ElevatorModel', () => {
  it('produces readings that pass the contract schema and are physically consistent for an hour of service', () => {
    const model = new ElevatorModel(new Rng(42), { lowestFloor: -2, topFloor: 18, ratedSpeed: 2.5, meanCallIntervalS: 15, incidentRate: 0.05 });
    const readings = run(model, 3600_000); // one hour in 100 ms steps
    const events = model.drainEvents();
    let trips = 0;
    let maxSpeed = 0;
    const floorsVisited = new Set<number>();
    const violations: string[] = [];
    const check = (ok: boolean, what: string, i: number) => {
      if (!ok && violations.length < 20) violations.push(`${what} at step ${i}: ${JSON.stringify(readings[i])}`);
    };
    const order = ['closed', 'opening', 'open', 'closing'];
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i];
      if (i % 10 === 0) check(elevatorReadingSchema.safeParse(r).success, 'schema', i);
      check(r.floor !== 0 && r.floor >= -2 && r.floor <= 18, 'floor range', i);
      maxSpeed = Math.max(maxSpeed, r.speed);
      if (r.speed > 0) {
        // moving: doors closed, a direction, not level
        check(r.door === 'closed' && r.direction !== 'stop' && !r.atLevel, 'moving state', i);
      } else {
        // stopped: no direction, and always at a landing (no faults are simulated)
        check(r.direction === 'stop' && r.atLevel, 'stopped state', i);
        floorsVisited.add(r.floor);
      }
      if (r.door !== 'closed') check(r.speed === 0 && r.atLevel, 'door open only when stopped at level', i);
      check(r.speed <= 2.5 + 1e-9, 'rated speed', i);
      if (i > 0) {
        const p = readings[i - 1];
        // at most one storey per 100 ms (-1 → 1 skips the missing floor 0), bounded acceleration
        const storeys = Math.abs(r.floor - p.floor) - (Math.sign(r.floor) !== Math.sign(p.floor) ? 1 : 0);
        check(storeys <= 1, 'floor jump', i);
        check(Math.abs(r.speed - p.speed) <= 0.8 * 1.5 * 0.1 + 0.16, 'acceleration', i);
        // passengers board or leave only with the doors open
        if (r.occupied !== p.occupied) check(r.door === 'open', 'boarding with doors not open', i);
        // door sequence: closed → opening → open → closing → closed
        if (r.door !== p.door) check(order[(order.indexOf(p.door) + 1) % 4] === r.door, 'door sequence', i);
        if (p.speed === 0 && r.speed > 0) trips++;
      }
    }
    expect(violations).toEqual([]);
    expect(trips).toBeGreaterThan(50);
    expect(maxSpeed).toBeGreaterThan(2.3);
    expect([...floorsVisited].some((f) => f < 0)).toBe(true);
    for (const e of events) expect(elevatorEventSchema.safeParse(e).success).toBe(true);
  });

  it('serves a call: travels to the pickup floor, boards, travels, levels and opens at the destination', () => {
    const model = new ElevatorModel(new Rng(1), { lowestFloor: -1, topFloor: 11, ratedSpeed: 1.75, meanCallIntervalS: 1e9 }, 1);
    expect(model.call(1, 10)).toBe(true);
    const readings = run(model, 60_000);
    const boarded = readings.findIndex((r) => r.occupied);
    expect(boarded).toBeGreaterThanOrEqual(0);
    expect(readings[boarded].floor).toBe(1);
    const departed = readings.findIndex((r, i) => i > boarded && r.speed > 0);
    const arrived = readings.findIndex((r, i) => i > departed && r.speed === 0);
    expect(readings[arrived].floor).toBe(10);
    expect(readings[arrived].atLevel).toBe(true);
    expect(readings.slice(departed, arrived).every((r) => r.direction === 'up' && r.door === 'closed')).toBe(true);
    // 8 storeys × 3 m = 24 m at up to 1.75 m/s: between 14 s and 30 s including acceleration and levelling
    const travelS = ((arrived - departed) * STEP_MS) / 1000;
    expect(travelS).toBeGreaterThan(14);
    expect(travelS).toBeLessThan(30);
    expect(Math.max(...readings.map((r) => r.speed))).toBeCloseTo(1.75, 1);
    const leftAt = readings.findIndex((r, i) => i > arrived && !r.occupied);
    expect(readings[leftAt].door).toBe('open');
    expect(readings[readings.length - 1]).toMatchObject({ door: 'closed', direction: 'stop', occupied: false, floor: 10 });
  });

  it('goes to basements (negative floors) and never reports floor 0', () => {
    const model = new ElevatorModel(new Rng(7), { lowestFloor: -2, topFloor: 5, meanCallIntervalS: 1e9 }, 3);
    model.call(3, -2);
    const readings = run(model, 60_000);
    expect(readings.some((r) => r.floor === -2 && r.atLevel && r.door === 'open')).toBe(true);
    expect(readings.some((r) => r.floor === 0)).toBe(false);
    expect(readings.filter((r) => r.speed > 0).every((r) => r.direction === 'down')).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const a = run(new ElevatorModel(new Rng(99)), 600_000);
    const b = run(new ElevatorModel(new Rng(99)), 600_000);
    expect(a).toEqual(b);
  });

  it('rejects a floor range containing floor 0 as an end and impossible calls', () => {
    expect(() => new ElevatorModel(new Rng(1), { lowestFloor: 0, topFloor: 5 })).toThrow();
    const m = new ElevatorModel(new Rng(1), { lowestFloor: 1, topFloor: 5 });
    expect(m.call(1, 9)).toBe(false);
    expect(m.call(2, 2)).toBe(false);
  });
});
