import { Rng } from '../random';
import { DEFAULT_BACKOFF, reconnectDelayMs } from './backoff';
import { WakeSchedule, type Wakeable } from './schedule';

describe('reconnect back-off', () => {
  it('doubles per attempt up to the cap, half fixed and half random', () => {
    const policy = { minMs: 1000, maxMs: 30_000 };
    const steps = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
    steps.forEach((step, attempt) => {
      expect(reconnectDelayMs(attempt, policy, () => 0)).toBe(step / 2);
      expect(reconnectDelayMs(attempt, policy, () => 0.999999)).toBeCloseTo(step, -1);
    });
    expect(reconnectDelayMs(1e6, policy, () => 0.5)).toBe(22_500);
  });

  it('spreads a fleet thrown off at once: no retry sooner than half a step, retries over the whole second half', () => {
    const rng = new Rng(42);
    const delays = Array.from({ length: 10_000 }, () => reconnectDelayMs(3, DEFAULT_BACKOFF, () => rng.next()));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(4000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(8000);
    // every 400 ms slice of the window gets its share (±30 %): no synchronised wave
    const slices = new Array(10).fill(0);
    for (const d of delays) slices[Math.min(9, Math.floor((d - 4000) / 400))]++;
    for (const n of slices) expect(Math.abs(n - 1000)).toBeLessThan(300);
  });
});

describe('wake schedule', () => {
  const owner = (name: string, log: string[]): Wakeable => ({ wakeGeneration: 0, wake: (now) => log.push(`${name}@${now}`) });

  it('wakes owners in time order, only when due, and only at their latest time', () => {
    const log: string[] = [];
    const s = new WakeSchedule();
    const a = owner('a', log);
    const b = owner('b', log);
    const c = owner('c', log);
    s.at(a, 30);
    s.at(b, 10);
    s.at(c, 20);
    s.at(a, 15); // replaces 30
    s.cancel(c);
    expect(s.runDue(5)).toBe(0);
    expect(s.runDue(100)).toBe(2);
    expect(log).toEqual(['b@100', 'a@100']);
  });

  it('keeps heap order over many random times', () => {
    const rng = new Rng(7);
    const s = new WakeSchedule();
    const woken: number[] = [];
    const owners = Array.from({ length: 2000 }, () => {
      const o: Wakeable & { due: number } = { wakeGeneration: 0, due: 0, wake: () => woken.push(o.due) };
      o.due = rng.int(0, 100_000);
      s.at(o, o.due);
      return o;
    });
    for (let t = 0; t <= 100_000; t += 997) s.runDue(t);
    s.runDue(Infinity);
    expect(woken).toHaveLength(owners.length);
    // each pass wakes only what is due, and in order within a pass
    const sorted = [...woken].sort((x, y) => x - y);
    expect(woken).toEqual(sorted);
  });
});
