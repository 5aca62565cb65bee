import { elevatorEventSchema, elevatorReadingSchema } from '@app/contracts';
import { compileRules, evaluate, initialState, type Transition } from '../../../apps/platform/src/domain/alarm-rules';
import { Rng } from '../random';
import { type IncidentOptions, type IncidentOutput, TrappedIncident } from './scenario';

const T0 = 1_700_000_000_000;

function play(incident: TrappedIncident, untilMs: number, stepMs = 200): IncidentOutput[] {
  const out: IncidentOutput[] = [];
  while (incident.clockMs < untilMs && !incident.done) out.push(...incident.step(stepMs));
  return out;
}

function playUntil(incident: TrappedIncident, phase: string, limitMs = 600_000): IncidentOutput[] {
  const out: IncidentOutput[] = [];
  while (incident.phase !== phase && incident.clockMs < limitMs) out.push(...incident.step(200));
  if (incident.phase !== phase) throw new Error(`never reached ${phase}`);
  return out;
}

const readings = (o: IncidentOutput[]) => o.flatMap((x) => (x.kind === 'reading' ? [x] : []));
const events = (o: IncidentOutput[]) => o.flatMap((x) => (x.kind === 'event' ? [x] : []));
const options = (o: Partial<IncidentOptions> = {}): IncidentOptions => ({ level: false, tripsBefore: 2, eventAfterS: 30, ...o });

/** Feeds the outputs to the platform's own rule engine (as if they arrived at their sim time). */
function detect(outputs: IncidentOutput[], trappedHoldS: number): Transition[] {
  const set = compileRules('elevator', null, { thresholds: { trappedHoldS } });
  const state = initialState(set);
  const all: Transition[] = [];
  for (const o of outputs) {
    const ts = T0 + o.atMs;
    if (o.kind === 'reading') all.push(...evaluate(set, state, { kind: 'reading', reading: o.reading as unknown as Record<string, unknown>, ts }, ts).transitions);
    if (o.kind === 'event') all.push(...evaluate(set, state, { kind: 'event', type: o.event.type, active: o.event.active, ts }, ts).transitions);
    all.push(...evaluate(set, state, { kind: 'tick' }, ts).transitions);
  }
  return all;
}

describe('TrappedIncident', () => {
  it('plays normal trips, then stops between floors: occupied, door closed, speed 0, readings every second, the event after a while', () => {
    const incident = new TrappedIncident(new Rng(1), options());
    const before = playUntil(incident, 'trapped');
    expect(incident.tripsDone).toBe(2);
    expect(before.filter((o) => o.kind === 'phase').map((o) => (o as { phase: string }).phase)).toEqual(['trips', 'trips', 'incident_trip', 'trapped']);
    // normal service (before the stop): every reading valid; never stopped away from a landing
    const normal = readings(before.slice(0, before.findIndex((o) => o.kind === 'phase' && o.phase === 'trapped')));
    expect(normal.length).toBeGreaterThan(20);
    for (const r of normal) {
      expect(elevatorReadingSchema.safeParse(r.reading).success).toBe(true);
      if (r.reading.speed === 0 && r.reading.direction === 'stop') expect(r.reading.atLevel).toBe(true);
    }
    expect(normal.some((r) => r.reading.speed > 1)).toBe(true);
    const stuckAt = incident.clockMs;
    const stuck = play(incident, stuckAt + 60_000);
    const rs = readings(stuck);
    expect(rs.length).toBeGreaterThanOrEqual(59);
    for (const r of rs) expect(r.reading).toMatchObject({ direction: 'stop', speed: 0, door: 'closed', occupied: true, atLevel: false });
    const gaps = rs.slice(1).map((r, i) => r.atMs - rs[i].atMs);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1000);
    const ev = events(stuck);
    expect(ev).toHaveLength(1);
    expect(elevatorEventSchema.safeParse(ev[0].event).success).toBe(true);
    expect(ev[0].event).toEqual({ type: 'trapped_not_level', active: true });
    expect(ev[0].atMs - stuckAt).toBeGreaterThanOrEqual(29_800);
    expect(ev[0].atMs - stuckAt).toBeLessThanOrEqual(30_200);
  });

  it('release: the event clears, the car is at a landing, the door opens, the passengers leave', () => {
    const incident = new TrappedIncident(new Rng(2), options({ tripsBefore: 0, eventAfterS: 5 }));
    playUntil(incident, 'trapped');
    play(incident, incident.clockMs + 10_000);
    incident.release('release command');
    const out = play(incident, incident.clockMs + 60_000);
    expect(incident.done).toBe(true);
    expect(incident.releaseReason).toBe('release command');
    expect(events(out).map((e) => e.event)).toEqual([{ type: 'trapped_not_level', active: false }]);
    const rs = readings(out).map((r) => r.reading);
    expect(rs[0]).toMatchObject({ atLevel: true, door: 'opening', occupied: true });
    expect(rs.at(-1)).toMatchObject({ atLevel: true, door: 'open', occupied: false });
    // never again a reading that looks trapped
    for (const r of rs) expect(r.door === 'closed' && r.occupied).toBe(false);
  });

  it('--level: stops at the destination landing with the door failing to open, reports trapped_at_level', () => {
    const incident = new TrappedIncident(new Rng(3), options({ level: true, tripsBefore: 1, eventAfterS: 10, trappedForS: 20 }));
    playUntil(incident, 'trapped');
    const out = play(incident, incident.clockMs + 120_000);
    const stuck = readings(out).filter((r) => r.reading.door === 'closed');
    expect(stuck.length).toBeGreaterThan(15);
    for (const r of stuck) expect(r.reading).toMatchObject({ atLevel: true, speed: 0, direction: 'stop', occupied: true });
    expect(events(out).map((e) => e.event)).toEqual([
      { type: 'trapped_at_level', active: true },
      { type: 'trapped_at_level', active: false },
    ]);
    expect(incident.releaseReason).toBe('duration');
    expect(incident.done).toBe(true);
  });

  it('a release before the incident ends normal service without a trapped phase', () => {
    const incident = new TrappedIncident(new Rng(4), options({ tripsBefore: 5 }));
    play(incident, 5000);
    incident.release('interrupted');
    const out = play(incident, 10_000);
    expect(incident.done).toBe(true);
    expect(out.some((o) => o.kind === 'phase' && o.phase === 'trapped')).toBe(false);
    expect(events(out)).toEqual([]);
  });

  it('the platform rule engine raises exactly trapped_not_level (hold) during the incident and clears it on release', () => {
    const incident = new TrappedIncident(new Rng(5), options({ tripsBefore: 2, eventAfterS: 30, trappedForS: 45 }));
    const out = play(incident, 600_000);
    expect(incident.done).toBe(true);
    const transitions = detect(out, 20);
    const trapped = transitions.filter((t) => t.type.startsWith('trapped'));
    expect(trapped.map((t) => [t.action, t.ruleId])).toEqual([
      ['raise', 'infer.trapped_not_level'],
      ['raise', 'event.trapped_not_level'],
      ['clear', 'event.trapped_not_level'],
      ['clear', 'infer.trapped_not_level'],
    ]);
    // the hold is measured from the first stuck reading
    const stuckAt = out.find((o) => o.kind === 'phase' && o.phase === 'trapped')?.atMs;
    expect(trapped[0].ts).toBe(T0 + stuckAt!);
  });
});
