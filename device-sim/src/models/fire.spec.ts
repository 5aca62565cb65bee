import { fireEventSchema, fireReadingSchema, fireSubtypes } from '@app/contracts';
import { Rng } from '../random';
import { Drift, FireModel } from './fire';

describe('Drift', () => {
  it('stays within bounds and hovers around its mean', () => {
    const d = new Drift(new Rng(3), 380, 300, 450, 0.02, 3);
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const v = d.step(1000);
      expect(v).toBeGreaterThanOrEqual(300);
      expect(v).toBeLessThanOrEqual(450);
      sum += v;
    }
    expect(Math.abs(sum / n - 380)).toBeLessThan(15);
  });
});

describe('FireModel', () => {
  it.each(fireSubtypes)('%s readings and events pass the contract schema', (subtype) => {
    const m = new FireModel(new Rng(11), subtype, 0.5, 'B1');
    const events = [];
    for (let i = 0; i < 600; i++) {
      m.step(5000);
      const r = m.reading(1_700_000_000_000 + i * 5000);
      expect(fireReadingSchema.safeParse(r).success).toBe(true);
      if (subtype === 'hydrant_pressure') expect(r.value! >= 300 && r.value! <= 450).toBe(true);
      if (subtype === 'tank_level') expect(r.value! >= 2.8 && r.value! <= 3.4).toBe(true);
      if (['controller', 'smoke_detector', 'fire_door'].includes(subtype)) expect(r.value).toBeUndefined();
      events.push(...m.drainEvents());
    }
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(fireEventSchema.safeParse(e).success).toBe(true);
    // raised and cleared alternate
    events.forEach((e, i) => expect(e.active).toBe(i % 2 === 0));
  });

  it('is quiet without incidents', () => {
    const m = new FireModel(new Rng(5), 'smoke_detector');
    for (let i = 0; i < 1000; i++) m.step(60_000);
    expect(m.drainEvents()).toEqual([]);
    expect(m.reading().flags).toEqual({ fire: false, fault: false });
  });
});
