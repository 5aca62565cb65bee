import { gateReadingSchema, vehicleEventSchema } from '@app/contracts';
import { Rng } from '../random';
import { GateModel } from './gate';
import { classifyPlate, PlateGenerator } from './plates';

describe('GateModel', () => {
  const make = (seed = 8) => new GateModel(new Rng(seed), new PlateGenerator(new Rng(seed + 1)), { meanArrivalIntervalS: 20 });

  it('produces vehicle events valid per the contract on both lanes', () => {
    const gate = make();
    const vehicles = [];
    for (let i = 0; i < 3600; i++) {
      gate.step(1000);
      vehicles.push(...gate.drainVehicles());
      expect(gateReadingSchema.safeParse(gate.reading(Date.now())).success).toBe(true);
    }
    expect(vehicles.length).toBeGreaterThan(250);
    expect(vehicles.length).toBeLessThan(500);
    for (const v of vehicles) {
      expect(vehicleEventSchema.safeParse(v.event).success).toBe(true);
      expect(classifyPlate(v.event.plate)).toBe(v.kind);
      expect(v.event.direction).toBe(v.event.lane === 'in-1' ? 'in' : 'out');
    }
    // cars that came in leave again
    const inPlates = new Set(vehicles.filter((v) => v.event.direction === 'in').map((v) => v.event.plate));
    expect(vehicles.filter((v) => v.event.direction === 'out' && inPlates.has(v.event.plate)).length).toBeGreaterThan(50);
  });

  it('raises the barrier on open, keeps it on hold, closes it after the car has passed', () => {
    const gate = make();
    expect(gate.barrier).toBe('closed');
    expect(gate.command('hold', 'in-1')).toEqual({ ok: true });
    expect(gate.barrier).toBe('closed');
    expect(gate.takeChanged()).toBe(false);
    expect(gate.command('open', 'in-1')).toEqual({ ok: true });
    expect(gate.barrier).toBe('open');
    expect(gate.takeChanged()).toBe(true);
    gate.step(3000);
    expect(gate.barrier).toBe('open');
    gate.step(4000);
    expect(gate.barrier).toBe('closed');
    expect(gate.takeChanged()).toBe(true);
  });

  it('refuses unknown commands and lanes', () => {
    const gate = make();
    expect(gate.command('explode').ok).toBe(false);
    expect(gate.command('open', 'west-9').ok).toBe(false);
    expect(gate.barrier).toBe('closed');
  });
});
