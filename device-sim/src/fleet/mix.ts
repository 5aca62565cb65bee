import type { DeviceKind, FireSubtype } from '@app/contracts';
import { ElevatorModel } from '../models/elevator';
import { FireModel } from '../models/fire';
import { Rng } from '../random';

/**
 * The device mix of a property company's estates, per 100 devices: elevators (two or three per
 * high-rise building), fire-protection devices of every subtype (smoke detectors and fire doors
 * the most numerous, one controller per building), and parking gates at the estates' entrances.
 */
export const FLEET_MIX: ReadonlyArray<{ kind: DeviceKind; subtype: FireSubtype | null; per100: number }> = [
  { kind: 'elevator', subtype: null, per100: 30 },
  { kind: 'fire', subtype: 'smoke_detector', per100: 25 },
  { kind: 'fire', subtype: 'fire_door', per100: 10 },
  { kind: 'fire', subtype: 'hydrant_pressure', per100: 10 },
  { kind: 'fire', subtype: 'sprinkler_pressure', per100: 8 },
  { kind: 'fire', subtype: 'tank_level', per100: 4 },
  { kind: 'fire', subtype: 'controller', per100: 3 },
  { kind: 'gate', subtype: null, per100: 10 },
];

/** Kind and subtype of fleet device number `index`: the mix, interleaved so that any slice has it too. */
export function fleetDeviceType(index: number): { kind: DeviceKind; subtype: FireSubtype | null } {
  // Stride 37 (coprime with 100) visits every slot of a block of 100 once, spread out.
  const slot = (index * 37) % 100;
  let upTo = 0;
  for (const entry of FLEET_MIX) {
    upTo += entry.per100;
    if (slot < upTo) return { kind: entry.kind, subtype: entry.subtype };
  }
  return FLEET_MIX[0];
}

/**
 * A device's next telemetry payload. Elevators and fire devices run the simulator's own models
 * between two readings (a car that moved, a pressure that drifted); an idle gate reports its
 * closed barrier. Models are created on first use and stepped only when a reading is due.
 */
export class FleetReadings {
  private model: ElevatorModel | FireModel | undefined;
  private lastAt = 0;

  constructor(
    private readonly kind: DeviceKind,
    private readonly subtype: FireSubtype | null | undefined,
    private readonly seed: number,
  ) {}

  next(ts: number): string {
    if (this.kind === 'gate') return '{"ts":' + ts + ',"barrier":"closed"}';
    if (!this.model) {
      const rng = new Rng(this.seed);
      this.model = this.kind === 'elevator' ? new ElevatorModel(rng, {}, rng.int(1, 18)) : new FireModel(rng, this.subtype ?? 'hydrant_pressure');
    } else {
      // At most a minute of model time: the reading after a long outage need not replay it all.
      this.model.step(Math.min(60_000, Math.max(0, ts - this.lastAt)));
    }
    this.lastAt = ts;
    return JSON.stringify(this.model.reading(ts));
  }
}
