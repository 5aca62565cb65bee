import type { ElevatorEvent, ElevatorReading } from '@app/contracts';
import { Rng } from '../random';

/**
 * A passenger elevator as a pure, time-stepped state machine.
 *
 * Phases of one stop: opening → open (dwell) → closing → idle, and a trip is
 * accelerate → travel (1–2.5 m/s) → decelerate → level (slow creep) → stopped at level.
 * Floors are building floor numbers: …, -2, -1, 1, 2, … (there is no floor 0 in China).
 * Nothing here touches timers or I/O: call `step(dtMs)` and read `reading()`.
 */
export type ElevatorPhase = 'idle' | 'opening' | 'open' | 'closing' | 'moving';

export interface ElevatorConfig {
  /** Lowest floor (negative = basements), e.g. -2. */
  lowestFloor: number;
  /** Highest floor, e.g. 18. */
  topFloor: number;
  /** Storey height in metres. */
  floorHeight: number;
  /** Rated speed, m/s (1.0–2.5 for residential lifts). */
  ratedSpeed: number;
  /** Acceleration and deceleration, m/s². */
  acceleration: number;
  /** Mean seconds between hall calls while idle. */
  meanCallIntervalS: number;
  /** Probability per trip of a passenger pressing the alarm button (emergency_call). */
  incidentRate: number;
}

export const defaultElevatorConfig: ElevatorConfig = {
  lowestFloor: -2,
  topFloor: 18,
  floorHeight: 3,
  ratedSpeed: 1.75,
  acceleration: 0.8,
  meanCallIntervalS: 25,
  incidentRate: 0,
};

/** Creep speed for the last centimetres of levelling. */
const LEVELLING_SPEED = 0.15;
/** Distance from the landing within which the car is in the door zone (levelling). */
const DOOR_ZONE_M = 0.2;
const DOOR_MOTION_MS = 2500;

interface Trip {
  /** Floor where the passenger waits (undefined once boarded). */
  pickup?: number;
  /** Destination floor of the passenger. */
  destination: number;
}

export class ElevatorModel {
  readonly config: ElevatorConfig;
  readonly floors: number[];
  private readonly rng: Rng;

  phase: ElevatorPhase = 'idle';
  /** Car position in metres above the lowest landing. */
  position = 0;
  speed = 0;
  direction: 'stop' | 'up' | 'down' = 'stop';
  occupied = false;
  /** Index into `floors` of the landing the car is moving to. */
  private targetIndex = 0;
  private phaseRemainingMs = 0;
  private trip: Trip | undefined;
  private nextCallInMs: number;
  private readonly pendingEvents: ElevatorEvent[] = [];
  private emergencyClearInMs = 0;
  /** Simulation clock, ms since model start. */
  clockMs = 0;

  constructor(rng: Rng, config: Partial<ElevatorConfig> = {}, startFloor?: number) {
    this.config = { ...defaultElevatorConfig, ...config };
    const { lowestFloor, topFloor } = this.config;
    if (lowestFloor > topFloor || lowestFloor === 0 || topFloor === 0) {
      throw new Error(`bad floor range ${lowestFloor}..${topFloor} (there is no floor 0)`);
    }
    this.floors = [];
    for (let f = lowestFloor; f <= topFloor; f++) if (f !== 0) this.floors.push(f);
    this.rng = rng;
    const start = startFloor ?? 1;
    this.targetIndex = Math.max(0, this.floors.indexOf(start));
    this.position = this.targetIndex * this.config.floorHeight;
    this.nextCallInMs = this.rng.exponential(this.config.meanCallIntervalS * 1000);
  }

  /** The floor number nearest to the car. */
  get floor(): number {
    const index = Math.round(this.position / this.config.floorHeight);
    return this.floors[Math.min(this.floors.length - 1, Math.max(0, index))];
  }

  /** Metres between the car and the nearest landing. */
  private distanceToNearestLanding(): number {
    const h = this.config.floorHeight;
    return Math.abs(this.position - Math.round(this.position / h) * h);
  }

  get atLevel(): boolean {
    return this.speed === 0 && this.distanceToNearestLanding() < 0.01;
  }

  get door(): ElevatorReading['door'] {
    switch (this.phase) {
      case 'opening':
        return 'opening';
      case 'open':
        return 'open';
      case 'closing':
        return 'closing';
      default:
        return 'closed';
    }
  }

  /** True while the car or its doors are in motion: readings every second. */
  get busy(): boolean {
    return this.phase !== 'idle';
  }

  /** Requests a trip from `pickup` to `destination` (both floor numbers); false if busy or invalid. */
  call(pickup: number, destination: number): boolean {
    if (this.trip || pickup === destination) return false;
    if (!this.floors.includes(pickup) || !this.floors.includes(destination)) return false;
    this.trip = { pickup, destination };
    if (this.phase === 'idle') this.serve();
    return true;
  }

  reading(ts?: number): ElevatorReading {
    return {
      ...(ts === undefined ? {} : { ts }),
      mode: 'normal',
      direction: this.direction,
      floor: this.floor,
      atLevel: this.atLevel,
      door: this.door,
      speed: Math.round(this.speed * 100) / 100,
      occupied: this.occupied,
      power: 'mains',
      safetyCircuit: 'closed',
    };
  }

  /** Events raised since the last call (emergency calls when incidents are enabled). */
  drainEvents(): ElevatorEvent[] {
    return this.pendingEvents.splice(0, this.pendingEvents.length);
  }

  /** Advances the simulation by `dtMs`, integrating motion in ≤100 ms sub-steps. */
  step(dtMs: number): void {
    let remaining = dtMs;
    while (remaining > 0) {
      const dt = Math.min(100, remaining);
      remaining -= dt;
      this.clockMs += dt;
      this.subStep(dt);
    }
  }

  private subStep(dtMs: number): void {
    if (this.emergencyClearInMs > 0) {
      this.emergencyClearInMs -= dtMs;
      if (this.emergencyClearInMs <= 0) this.pendingEvents.push({ type: 'emergency_call', active: false });
    }
    switch (this.phase) {
      case 'idle':
        if (!this.trip) {
          this.nextCallInMs -= dtMs;
          if (this.nextCallInMs <= 0) {
            this.nextCallInMs = this.rng.exponential(this.config.meanCallIntervalS * 1000);
            this.randomCall();
          }
        }
        if (this.trip) this.serve();
        return;
      case 'opening':
      case 'closing':
      case 'open':
        this.phaseRemainingMs -= dtMs;
        if (this.phaseRemainingMs <= 0) this.finishDoorPhase();
        return;
      case 'moving':
        this.move(dtMs / 1000);
        return;
    }
  }

  /** A hall call: mostly trips from or to the ground floor, some between upper floors. */
  private randomCall(): void {
    const upper = this.floors.filter((f) => f > 1);
    const basements = this.floors.filter((f) => f < 0);
    const r = this.rng.next();
    let pickup: number;
    let destination: number;
    if (r < 0.4 && upper.length) {
      pickup = 1;
      destination = this.rng.pick(upper);
    } else if (r < 0.75 && upper.length) {
      pickup = this.rng.pick(upper);
      destination = this.rng.chance(0.8) || basements.length === 0 ? 1 : this.rng.pick(basements);
    } else if (r < 0.9 && basements.length) {
      pickup = this.rng.pick(basements);
      destination = upper.length ? this.rng.pick(upper) : 1;
    } else {
      pickup = this.rng.pick(this.floors);
      destination = this.rng.pick(this.floors);
    }
    if (pickup !== destination) this.call(pickup, destination);
  }

  /** Decides the next action for the current trip while idle at a landing. */
  private serve(): void {
    const trip = this.trip;
    if (!trip) return;
    const here = this.floor;
    if (trip.pickup !== undefined) {
      if (trip.pickup === here) this.startDoors('opening');
      else this.startMove(trip.pickup);
    } else if (trip.destination === here) {
      this.startDoors('opening');
    } else {
      this.startMove(trip.destination);
    }
  }

  private startDoors(phase: 'opening' | 'closing'): void {
    this.phase = phase;
    this.direction = 'stop';
    this.phaseRemainingMs = DOOR_MOTION_MS + this.rng.range(-500, 500);
  }

  private finishDoorPhase(): void {
    const trip = this.trip;
    if (this.phase === 'opening') {
      this.phase = 'open';
      this.phaseRemainingMs = this.rng.range(3000, 8000);
      if (trip && trip.pickup === this.floor) {
        // passenger boards
        trip.pickup = undefined;
        this.occupied = true;
      } else if (trip && trip.pickup === undefined && trip.destination === this.floor) {
        // passenger leaves
        this.occupied = false;
        this.trip = undefined;
      }
      return;
    }
    if (this.phase === 'open') {
      this.startDoors('closing');
      return;
    }
    // closing finished
    this.phase = 'idle';
    if (this.trip) this.serve();
  }

  private startMove(floor: number): void {
    this.targetIndex = this.floors.indexOf(floor);
    // direction is set by the first motion step, so a reading never shows a direction at speed 0
    this.phase = 'moving';
    if (this.occupied && this.config.incidentRate > 0 && this.rng.chance(this.config.incidentRate)) {
      this.pendingEvents.push({ type: 'emergency_call', active: true });
      this.emergencyClearInMs = 15000;
    }
  }

  /** Trapezoidal motion profile with a slow levelling creep in the door zone. */
  private move(dt: number): void {
    const { acceleration, ratedSpeed, floorHeight } = this.config;
    const target = this.targetIndex * floorHeight;
    const distance = Math.abs(target - this.position);
    const sign = target > this.position ? 1 : -1;
    this.direction = sign > 0 ? 'up' : 'down';
    // Speed that still allows stopping (down to levelling speed) within the remaining distance.
    const brakingSpeed = Math.sqrt(LEVELLING_SPEED ** 2 + 2 * acceleration * Math.max(0, distance - DOOR_ZONE_M / 2));
    let wanted = Math.min(ratedSpeed, brakingSpeed);
    if (distance < DOOR_ZONE_M) wanted = LEVELLING_SPEED;
    if (wanted > this.speed) this.speed = Math.min(wanted, this.speed + acceleration * dt);
    else this.speed = Math.max(wanted, this.speed - acceleration * dt * 1.5);
    this.speed = Math.max(this.speed, LEVELLING_SPEED);
    const travel = this.speed * dt;
    if (travel >= distance) {
      this.position = target;
      this.speed = 0;
      this.direction = 'stop';
      this.phase = 'idle';
      this.serve();
      return;
    }
    this.position += sign * travel;
  }
}
