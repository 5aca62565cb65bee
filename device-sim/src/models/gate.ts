import type { GateReading, VehicleEvent } from '@app/contracts';
import { Rng } from '../random';
import { classifyPlate, PlateGenerator, PlateKind } from './plates';

export interface GateLane {
  name: string;
  direction: 'in' | 'out';
}

export interface GateConfig {
  lanes: GateLane[];
  /** Mean seconds between vehicles per lane. */
  meanArrivalIntervalS: number;
  /** Seconds a raised barrier stays open before closing behind the car. */
  openHoldS: number;
}

export const defaultGateConfig: GateConfig = {
  lanes: [
    { name: 'in-1', direction: 'in' },
    { name: 'out-1', direction: 'out' },
  ],
  meanArrivalIntervalS: 30,
  openHoldS: 6,
};

export interface GateVehicle {
  event: VehicleEvent;
  kind: PlateKind;
}

/**
 * A parking gate with one barrier and plate recognition on each lane. Vehicles arrive as a
 * Poisson process; the barrier only rises on an `open` command (as the platform decides),
 * and closes again a few seconds after the car has passed.
 */
export class GateModel {
  readonly config: GateConfig;
  barrier: GateReading['barrier'] = 'closed';
  private readonly nextArrivalMs: number[];
  private closeInMs = 0;
  private readonly pending: GateVehicle[] = [];
  /** Plates parked inside (so that `out` events mostly show cars that came in). */
  private readonly inside: string[] = [];
  private changed = false;

  constructor(
    private readonly rng: Rng,
    private readonly plates: PlateGenerator,
    config: Partial<GateConfig> = {},
  ) {
    this.config = { ...defaultGateConfig, ...config };
    this.nextArrivalMs = this.config.lanes.map(() => this.rng.exponential(this.config.meanArrivalIntervalS * 1000));
  }

  step(dtMs: number): void {
    if (this.closeInMs > 0) {
      this.closeInMs -= dtMs;
      if (this.closeInMs <= 0) this.setBarrier('closed');
    }
    this.config.lanes.forEach((lane, i) => {
      this.nextArrivalMs[i] -= dtMs;
      if (this.nextArrivalMs[i] <= 0) {
        this.nextArrivalMs[i] = this.rng.exponential(this.config.meanArrivalIntervalS * 1000);
        this.pending.push(this.vehicle(lane));
      }
    });
  }

  private vehicle(lane: GateLane): GateVehicle {
    let plate: string;
    let kind: PlateKind;
    if (lane.direction === 'out' && this.inside.length && this.rng.chance(0.7)) {
      plate = this.inside.splice(this.rng.int(0, this.inside.length - 1), 1)[0];
      kind = classifyPlate(plate);
    } else {
      ({ plate, kind } = this.plates.next());
      if (lane.direction === 'in' && kind !== 'unreadable' && this.inside.length < 500) this.inside.push(plate);
    }
    const unreadable = kind === 'unreadable';
    const confidence = Math.round((unreadable ? this.rng.range(0.05, 0.4) : this.rng.range(0.85, 0.995)) * 1000) / 1000;
    return { kind, event: { type: 'vehicle', lane: lane.name, direction: lane.direction, plate, confidence } };
  }

  /** Vehicles that arrived since the last call. */
  drainVehicles(): GateVehicle[] {
    return this.pending.splice(0, this.pending.length);
  }

  /** Handles a platform command; returns the acknowledgement to send. */
  command(cmd: string, lane?: unknown): { ok: boolean; error?: string } {
    if (lane !== undefined && !this.config.lanes.some((l) => l.name === lane)) {
      return { ok: false, error: `unknown lane ${String(lane)}` };
    }
    switch (cmd) {
      case 'open':
        this.setBarrier('open');
        this.closeInMs = this.config.openHoldS * 1000;
        return { ok: true };
      case 'hold':
        return { ok: true };
      case 'close':
        this.setBarrier('closed');
        this.closeInMs = 0;
        return { ok: true };
      default:
        return { ok: false, error: `unsupported command ${cmd}` };
    }
  }

  private setBarrier(barrier: GateReading['barrier']): void {
    if (this.barrier !== barrier) this.changed = true;
    this.barrier = barrier;
  }

  /** True once after each barrier change, so the device publishes a reading at once. */
  takeChanged(): boolean {
    const c = this.changed;
    this.changed = false;
    return c;
  }

  reading(ts?: number): GateReading {
    return { ...(ts === undefined ? {} : { ts }), barrier: this.barrier };
  }
}
