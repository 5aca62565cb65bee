import type { FireEvent, FireReading, FireSubtype } from '@app/contracts';
import { Rng } from '../random';

/**
 * Mean-reverting random walk (discrete Ornstein–Uhlenbeck) kept inside [min, max]:
 * the standby pressure of a fire-water network drifts slowly around its commissioned value.
 */
export class Drift {
  value: number;

  constructor(
    private readonly rng: Rng,
    readonly mean: number,
    readonly min: number,
    readonly max: number,
    /** Fraction of the gap to the mean recovered per second. */
    private readonly reversion = 0.02,
    /** Noise standard deviation per √second. */
    private readonly volatility = 2,
  ) {
    this.value = mean + rng.range(-1, 1) * (max - min) * 0.1;
  }

  step(dtMs: number): number {
    const dt = dtMs / 1000;
    this.value += (this.mean - this.value) * Math.min(1, this.reversion * dt) + this.rng.normal(0, this.volatility * Math.sqrt(dt));
    if (this.value < this.min) this.value = this.min + (this.min - this.value) * 0.5;
    if (this.value > this.max) this.value = this.max - (this.value - this.max) * 0.5;
    this.value = Math.min(this.max, Math.max(this.min, this.value));
    return this.value;
  }
}

/** Value ranges used by the simulator, within the normal ranges of GB 50974-2014 (domain rules §2.5). */
export const fireValueProfiles: Partial<Record<FireSubtype, { mean: number; min: number; max: number; decimals: number; volatility: number }>> = {
  // indoor hydrant standby pressure, kPa (0.30–0.45 MPa)
  hydrant_pressure: { mean: 380, min: 300, max: 450, decimals: 1, volatility: 3 },
  // sprinkler network standby pressure, kPa
  sprinkler_pressure: { mean: 420, min: 360, max: 480, decimals: 1, volatility: 2 },
  // high-level fire tank water depth, metres
  tank_level: { mean: 3.1, min: 2.8, max: 3.4, decimals: 2, volatility: 0.005 },
};

/** One fire-protection device: numeric value (pressure, level) and/or status flags. */
export class FireModel {
  private readonly drift: Drift | undefined;
  private readonly decimals: number;
  readonly flags: NonNullable<FireReading['flags']>;
  private readonly pendingEvents: FireEvent[] = [];
  private incidentClearInMs = 0;
  private incidentFlag: 'fire' | 'fault' | 'feedback' | undefined;

  constructor(
    private readonly rng: Rng,
    readonly subtype: FireSubtype,
    /** Probability per minute of a transient incident (smoke alarm, door left open, fault). */
    private readonly incidentRatePerMin = 0,
    readonly zone = '1',
  ) {
    const profile = fireValueProfiles[subtype];
    this.drift = profile ? new Drift(rng, profile.mean, profile.min, profile.max, 0.02, profile.volatility) : undefined;
    this.decimals = profile?.decimals ?? 0;
    this.flags = FireModel.initialFlags(subtype);
  }

  static initialFlags(subtype: FireSubtype): NonNullable<FireReading['flags']> {
    switch (subtype) {
      case 'controller':
        return { fire: false, fault: false, supervisory: false, disabled: false, powerFault: false };
      case 'smoke_detector':
        return { fire: false, fault: false };
      case 'fire_door':
        // feedback = door released/closed signal from the door monitor
        return { fault: false, feedback: false };
      default:
        return { fault: false };
    }
  }

  step(dtMs: number): void {
    this.drift?.step(dtMs);
    if (this.incidentClearInMs > 0) {
      this.incidentClearInMs -= dtMs;
      if (this.incidentClearInMs <= 0 && this.incidentFlag) {
        this.flags[this.incidentFlag] = false;
        this.pendingEvents.push({ type: this.incidentFlag, active: false, zone: this.zone });
        this.incidentFlag = undefined;
      }
    } else if (this.incidentRatePerMin > 0 && this.rng.chance(this.incidentRatePerMin * (dtMs / 60000))) {
      const flag = this.subtype === 'smoke_detector' ? 'fire' : this.subtype === 'fire_door' ? 'feedback' : 'fault';
      this.incidentFlag = flag;
      this.flags[flag] = true;
      this.incidentClearInMs = this.rng.range(30000, 90000);
      this.pendingEvents.push({ type: flag, active: true, zone: this.zone });
    }
  }

  get value(): number | undefined {
    if (!this.drift) return undefined;
    const f = 10 ** this.decimals;
    return Math.round(this.drift.value * f) / f;
  }

  reading(ts?: number): FireReading {
    const value = this.value;
    return {
      ...(ts === undefined ? {} : { ts }),
      ...(value === undefined ? {} : { value }),
      flags: { ...this.flags },
    };
  }

  drainEvents(): FireEvent[] {
    return this.pendingEvents.splice(0, this.pendingEvents.length);
  }
}
