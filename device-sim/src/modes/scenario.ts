import type { ElevatorEvent, ElevatorReading } from '@app/contracts';
import type { DeviceCredential } from '../credentials';
import { readCredentials } from '../credentials';
import { DeviceConnection } from '../device-connection';
import { type ElevatorConfig, ElevatorModel } from '../models/elevator';
import { Rng } from '../random';
import { adminClient, type GlobalOptions, type Reporter, shortId, sleep, stopSignal } from './common';

// ------------------------------------------------------------------------------------------ model

/**
 * A trapped-passenger incident as a pure, time-stepped script around ElevatorModel:
 *   trips         normal service: a few passenger trips, readings every second;
 *   incident_trip a passenger boards and the car sets off;
 *   trapped       the car stops dead — between floors (atLevel false) or at the destination
 *                 landing with the door failing to open (atLevel true) — occupied, door closed,
 *                 speed 0, direction stop; after `eventAfterS` the terminal also reports the
 *                 event trapped_not_level / trapped_at_level (active);
 *   releasing     rescue: the event is cleared, the car is at a landing (moved there by hand when
 *                 it stopped between floors), the door opens, the passengers leave;
 *   released      done.
 * No timers or I/O: call `step(dtMs)` and publish what it returns.
 */
export type IncidentPhase = 'trips' | 'incident_trip' | 'trapped' | 'releasing' | 'released';

export interface IncidentOptions {
  /** Stuck at a landing (door fails to open) instead of between floors. */
  level: boolean;
  /** Complete trips before the incident trip. */
  tripsBefore: number;
  /** Seconds stuck before the terminal reports the trapped event itself. */
  eventAfterS: number;
  /** Release by itself after this many seconds stuck; undefined = only on release(). */
  trappedForS?: number;
  elevator?: Partial<ElevatorConfig>;
}

export type IncidentOutput =
  | { kind: 'reading'; atMs: number; reading: ElevatorReading }
  | { kind: 'event'; atMs: number; event: ElevatorEvent }
  | { kind: 'phase'; atMs: number; phase: IncidentPhase; note: string };

const SUB_STEP_MS = 100;
const READING_EVERY_MS = 1000;
const DOOR_MOTION_MS = 2500;
const EXIT_MS = 3000;

export class TrappedIncident {
  readonly model: ElevatorModel;
  phase: IncidentPhase = 'trips';
  clockMs = 0;
  tripsDone = 0;
  /** Why the passengers were released (undefined while not). */
  releaseReason: string | undefined;
  /** The reading sent while stuck and during the rescue (the model is frozen meanwhile). */
  private car: ElevatorReading | undefined;
  private stuckAtMs = 0;
  private eventSent = false;
  private releaseRequested: string | undefined;
  private releaseStepMs = 0;
  private nextReadingMs = 0;
  private nextTripInMs: number;
  private incidentDestination: number | undefined;
  private lastKey = '';
  private out: IncidentOutput[] = [];

  constructor(
    private readonly rng: Rng,
    readonly options: IncidentOptions,
  ) {
    // Calls are made by this script only (no random hall calls of the model).
    this.model = new ElevatorModel(rng, { ...options.elevator, meanCallIntervalS: 1e9, incidentRate: 0 }, 1);
    this.nextTripInMs = rng.range(1000, 3000);
  }

  get eventType(): 'trapped_at_level' | 'trapped_not_level' {
    return this.options.level ? 'trapped_at_level' : 'trapped_not_level';
  }

  get done(): boolean {
    return this.phase === 'released';
  }

  /** Rescue requested (command, Ctrl-C, duration): takes effect once the car is stuck, or ends normal service at once. */
  release(reason: string): void {
    this.releaseRequested ??= reason;
  }

  /** The reading the device would send now. */
  reading(): ElevatorReading {
    return this.car ? { ...this.car } : this.model.reading();
  }

  step(dtMs: number): IncidentOutput[] {
    for (let left = dtMs; left > 0; left -= SUB_STEP_MS) this.subStep(Math.min(SUB_STEP_MS, left));
    return this.out.splice(0, this.out.length);
  }

  private subStep(dt: number): void {
    this.clockMs += dt;
    switch (this.phase) {
      case 'trips':
      case 'incident_trip':
        this.service(dt);
        break;
      case 'trapped':
        this.stuck();
        break;
      case 'releasing':
        this.rescue(dt);
        break;
      case 'released':
        return;
    }
    const r = this.reading();
    const key = `${this.phase}/${r.direction}/${r.door}/${r.occupied}/${r.atLevel}`;
    if (key !== this.lastKey || this.clockMs >= this.nextReadingMs) {
      this.lastKey = key;
      this.nextReadingMs = this.clockMs + READING_EVERY_MS;
      this.out.push({ kind: 'reading', atMs: this.clockMs, reading: r });
    }
  }

  private enter(phase: IncidentPhase, note: string): void {
    this.phase = phase;
    this.out.push({ kind: 'phase', atMs: this.clockMs, phase, note });
  }

  private service(dt: number): void {
    const m = this.model;
    const wasOccupied = m.occupied;
    m.step(dt);
    if (wasOccupied && !m.occupied) this.tripsDone++;
    if (this.phase === 'trips') {
      if (this.releaseRequested !== undefined) return this.finish(`stopped before the incident (${this.releaseRequested})`);
      if (m.phase !== 'idle' || m.occupied) return;
      this.nextTripInMs -= dt;
      if (this.nextTripInMs > 0) return;
      this.nextTripInMs = this.rng.range(2000, 5000);
      const incident = this.tripsDone >= this.options.tripsBefore;
      const destination = this.destinationFrom(m.floor, incident ? 3 : 1);
      if (!m.call(m.floor, destination)) return;
      if (incident) {
        this.incidentDestination = destination;
        this.enter('incident_trip', `passenger boards at floor ${m.floor} for floor ${destination}`);
      } else this.out.push({ kind: 'phase', atMs: this.clockMs, phase: 'trips', note: `trip ${this.tripsDone + 1}: floor ${m.floor} → ${destination}` });
      return;
    }
    // incident trip: stop dead mid-storey, or at the destination with the door failing to open
    const h = m.config.floorHeight;
    const offLanding = Math.abs(m.position - Math.round(m.position / h) * h);
    const betweenFloors = !this.options.level && m.phase === 'moving' && m.occupied && offLanding >= h * 0.4;
    const doorFails = this.options.level && m.phase === 'opening' && m.occupied && m.floor === this.incidentDestination;
    if (!betweenFloors && !doorFails) return;
    this.car = { ...m.reading(), direction: 'stop', speed: 0, door: 'closed', atLevel: this.options.level, occupied: true };
    this.stuckAtMs = this.clockMs;
    this.enter(
      'trapped',
      this.options.level
        ? `car stopped at floor ${this.car.floor}, door does not open: passengers trapped at level`
        : `car stopped dead ${offLanding.toFixed(1)} m from floor ${this.car.floor}: passengers trapped between floors`,
    );
  }

  private stuck(): void {
    const stuckMs = this.clockMs - this.stuckAtMs;
    if (!this.eventSent && stuckMs >= this.options.eventAfterS * 1000) {
      this.eventSent = true;
      this.out.push({ kind: 'event', atMs: this.clockMs, event: { type: this.eventType, active: true } });
    }
    if (this.releaseRequested === undefined && this.options.trappedForS !== undefined && stuckMs >= this.options.trappedForS * 1000) this.release('duration');
    if (this.releaseRequested === undefined) return;
    this.releaseReason = this.releaseRequested;
    this.releaseStepMs = 0;
    if (this.eventSent) this.out.push({ kind: 'event', atMs: this.clockMs, event: { type: this.eventType, active: false } });
    // Rescuers bring the car to the landing (by hand when between floors), then the door opens.
    this.car = { ...this.car!, atLevel: true, door: 'opening' };
    this.enter('releasing', `rescue (${this.releaseReason}): car at floor ${this.car.floor}, door opening`);
  }

  private rescue(dt: number): void {
    this.releaseStepMs += dt;
    const car = this.car!;
    if (car.door === 'opening' && this.releaseStepMs >= DOOR_MOTION_MS) car.door = 'open';
    if (car.door === 'open' && car.occupied && this.releaseStepMs >= DOOR_MOTION_MS + EXIT_MS) {
      car.occupied = false;
      this.finish(`passengers out at floor ${car.floor} after ${((this.clockMs - this.stuckAtMs) / 1000).toFixed(0)} s`);
    }
  }

  private finish(note: string): void {
    this.enter('released', note);
  }

  /** A random floor at least `minDistance` floors away from `from`. */
  private destinationFrom(from: number, minDistance: number): number {
    const floors = this.model.floors;
    const i = floors.indexOf(from);
    const far = floors.filter((_, j) => Math.abs(j - i) >= minDistance);
    return far.length ? this.rng.pick(far) : floors[floors.length - 1 - i];
  }
}

// ------------------------------------------------------------------------------------------ runner

export interface TrappedScenarioOptions extends IncidentOptions {
  mqtt: string;
  protocol?: 4 | 5;
  device: Pick<DeviceCredential, 'id' | 'secret'>;
  seed?: number;
  /** Simulated seconds per real second (1 = real time). */
  timeScale?: number;
  /** Fired: the passengers are released (Ctrl-C, or the caller's own trigger). */
  release?: AbortSignal;
  /** Fired: stop at once, without a rescue (clean-up). */
  abort?: AbortSignal;
  reporter: Pick<Reporter, 'record' | 'info' | 'warn'>;
}

export interface ScenarioSummary {
  deviceId: string;
  released: boolean;
  releaseReason?: string;
  readings: number;
  events: number;
  commands: number;
}

const TICK_MS = 100;

function describeReading(r: ElevatorReading): string {
  const dir = r.direction === 'stop' ? '·' : r.direction === 'up' ? '↑' : '↓';
  return `floor ${String(r.floor).padStart(3)} ${dir} speed ${r.speed.toFixed(2)} door ${r.door.padEnd(7)} atLevel ${String(r.atLevel).padEnd(5)} occupied ${r.occupied}`;
}

/** Connects one elevator and plays the incident, printing every message it sends. */
export async function runTrappedScenario(opts: TrappedScenarioOptions): Promise<ScenarioSummary> {
  const scale = opts.timeScale ?? 1;
  const incident = new TrappedIncident(new Rng(opts.seed), opts);
  const conn = new DeviceConnection(opts.device, { url: opts.mqtt, protocolVersion: opts.protocol ?? 4 });
  const { reporter } = opts;
  const summary: ScenarioSummary = { deviceId: opts.device.id, released: false, readings: 0, events: 0, commands: 0 };
  const started = Date.now();
  const stamp = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;

  conn.on('connected', () => reporter.record('connected', { deviceId: opts.device.id }, `${stamp()}  connected as ${opts.device.id}, status online`));
  conn.on('disconnected', (why) => reporter.warn(`disconnected: ${why} (reconnecting)`, { deviceId: opts.device.id }));
  conn.on('command', (cmd) => {
    summary.commands++;
    if (cmd.cmd === 'release') {
      incident.release('release command');
      conn.ack(cmd.id, true);
    } else if (cmd.cmd === 'ping') conn.ack(cmd.id, true);
    else conn.ack(cmd.id, false, `unsupported command ${cmd.cmd}`);
    reporter.record('command', { id: cmd.id, cmd: cmd.cmd }, `${stamp()}  ← command ${cmd.cmd} (${cmd.id})`);
  });
  const onRelease = () => incident.release('interrupted');
  opts.release?.addEventListener('abort', onRelease, { once: true });
  if (opts.release?.aborted) onRelease();

  await conn.connect();
  try {
    let last = Date.now();
    while (!incident.done && !opts.abort?.aborted) {
      await sleep(TICK_MS, opts.abort);
      const now = Date.now();
      const outputs = incident.step((now - last) * scale);
      last = now;
      for (const o of outputs) {
        if (o.kind === 'phase') {
          reporter.record('phase', { phase: o.phase, note: o.note }, `${stamp()}  ── ${o.phase}: ${o.note}`);
        } else if (o.kind === 'reading') {
          summary.readings++;
          if (conn.connected) conn.publishTelemetry({ ts: now, ...o.reading }, 1);
          reporter.record('reading', { phase: incident.phase, ...o.reading }, `${stamp()}  → telemetry ${describeReading(o.reading)}`);
        } else {
          summary.events++;
          if (conn.connected) conn.publishEvent({ ts: now, ...o.event });
          reporter.record('event', { event: o.event.type, active: o.event.active }, `${stamp()}  → event     ${o.event.type} active=${o.event.active}`);
        }
      }
    }
  } finally {
    opts.release?.removeEventListener('abort', onRelease);
    summary.released = incident.done && incident.releaseReason !== undefined;
    summary.releaseReason = incident.releaseReason;
    await conn.close();
    reporter.record('done', { ...summary }, `${stamp()}  done: ${summary.readings} readings, ${summary.events} events sent; ${summary.released ? `released (${summary.releaseReason})` : 'not released'}`);
  }
  return summary;
}

// ------------------------------------------------------------------------------------------ CLI

export interface ScenarioCliOptions extends GlobalOptions {
  level: boolean;
  device?: string;
  trips: number;
  eventAfter: number;
  timeScale: number;
}

/** The elevator to drive: from --credentials (by --device, else the first elevator), or provisioned through REST. */
async function scenarioDevice(opts: ScenarioCliOptions, reporter: Reporter): Promise<DeviceCredential> {
  if (opts.credentials) {
    const devices = readCredentials(opts.credentials).devices;
    const device = opts.device ? devices.find((d) => d.id === opts.device) : devices.find((d) => d.kind === 'elevator');
    if (!device) throw new Error(opts.device ? `device ${opts.device} is not in ${opts.credentials}` : `no elevator in ${opts.credentials}`);
    if (device.kind !== 'elevator') throw new Error(`device ${device.id} is a ${device.kind}, not an elevator`);
    return device;
  }
  const api = await adminClient(opts);
  let communityId = opts.community;
  if (!communityId) {
    const c = await api.createCommunity({ name: `困人演练 ${new Date().toISOString().slice(0, 16)}`, district: '徐汇区', street: '天平路街道', buildings: [] });
    communityId = c.id;
    reporter.info(`created community ${c.name} (${communityId})`, { communityId });
  }
  const d = await api.provisionDevice({
    id: opts.device ?? `${shortId(communityId)}-trapped-lift`,
    communityId,
    kind: 'elevator',
    name: '困人演练电梯',
    location: 'scenario',
  });
  reporter.info(`provisioned elevator ${d.id} in community ${communityId} (secret not stored; run again to rotate)`, { deviceId: d.id, communityId });
  return { id: d.id, secret: d.secret, kind: d.kind, name: d.name };
}

export async function runScenario(name: 'trapped', opts: ScenarioCliOptions, reporter: Reporter): Promise<ScenarioSummary> {
  if (name !== 'trapped') throw new Error(`unknown scenario ${String(name)}`);
  const device = await scenarioDevice(opts, reporter);
  reporter.info(
    `scenario trapped (${opts.level ? 'at level' : 'between floors'}) on ${device.id}: ${opts.trips} trips, then the incident; ` +
      `event after ${opts.eventAfter} s stuck; release ${opts.duration ? `after ${opts.duration} s stuck, ` : ''}on a "release" command or Ctrl-C`,
  );
  return runTrappedScenario({
    mqtt: opts.mqtt,
    protocol: opts.protocol,
    device,
    seed: opts.seed,
    level: opts.level,
    tripsBefore: opts.trips,
    eventAfterS: opts.eventAfter,
    trappedForS: opts.duration,
    timeScale: opts.timeScale,
    release: stopSignal(),
    reporter,
  });
}
