import { existsSync } from 'node:fs';
import type { CreateDeviceRequest } from '@app/contracts';
import { credentialsPath, CredentialsFile, DeviceCredential, findCredentials, readCredentials, writeCredentials } from '../credentials';
import { DeviceConnection } from '../device-connection';
import { ElevatorModel } from '../models/elevator';
import { FireModel } from '../models/fire';
import { GateModel } from '../models/gate';
import { PlateGenerator } from '../models/plates';
import { Rng } from '../random';
import { ApiError, PlatformClient, mapLimit } from '../rest-client';
import { adminClient, describeDevice, GlobalOptions, Reporter, shortId, sleep, stopSignal } from './common';
import { demoCommunity, DemoDeviceSpec, demoDevices } from './demo-estate';

export interface DemoOptions extends GlobalOptions {
  /** Incident rate: emergency calls per elevator trip, transient fire incidents per device-minute. */
  incidents: number;
  /** Mean seconds between vehicles per lane. */
  vehicleInterval: number;
  /** Mean seconds between elevator calls. */
  callInterval: number;
}

const TICK_MS = 200;
const PROGRESS_MS = 5000;

/** Finds, or provisions through the REST API, the demo community and its devices. */
export async function demoCredentials(opts: GlobalOptions, reporter: Reporter): Promise<{ file: string; creds: CredentialsFile }> {
  if (opts.credentials) return { file: opts.credentials, creds: readCredentials(opts.credentials) };
  let file = opts.community ? credentialsPath(opts.community, opts.dataDir) : findCredentials('demo', opts.api, opts.dataDir);
  let creds: CredentialsFile | undefined = file && existsSync(file) ? readCredentials(file) : undefined;
  if (creds) reporter.info(`reusing community ${creds.communityId} and ${creds.devices.length} devices from ${file}`, { file });
  const missing = demoDevices.filter((spec) => !creds?.devices.some((d) => d.role === spec.role));
  if (missing.length === 0 && creds) return { file: file!, creds };

  const api: PlatformClient = await adminClient(opts);
  let communityId = creds?.communityId ?? opts.community;
  let buildingIds: Record<string, string> = {};
  if (communityId) {
    try {
      const community = await api.getCommunity(communityId);
      buildingIds = Object.fromEntries((community.buildings ?? []).map((b) => [b.name, b.id]));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new Error(`community ${communityId} does not exist on ${opts.api}`);
      throw err;
    }
  } else {
    const community = await api.createCommunity(demoCommunity);
    communityId = community.id;
    buildingIds = Object.fromEntries((community.buildings ?? []).map((b) => [b.name, b.id]));
    reporter.info(`created community ${community.name} (${communityId})`, { communityId });
  }
  file = credentialsPath(communityId, opts.dataDir);
  creds ??= { purpose: 'demo', api: opts.api, communityId, communityName: demoCommunity.name, createdAt: new Date().toISOString(), devices: [] };
  const prefix = shortId(communityId);
  const provisioned = await mapLimit(missing, 4, async (spec) => {
    const req: CreateDeviceRequest = {
      id: `${prefix}-${spec.role}`,
      communityId: communityId!,
      kind: spec.kind,
      name: spec.name,
      location: spec.location,
      ...(spec.subtype ? { subtype: spec.subtype } : {}),
      ...(spec.building && buildingIds[spec.building] ? { buildingId: buildingIds[spec.building] } : {}),
    };
    const d = await api.provisionDevice(req);
    return { id: d.id, secret: d.secret, kind: d.kind, subtype: d.subtype, name: d.name, location: d.location, role: spec.role } satisfies DeviceCredential;
  });
  creds.devices.push(...provisioned);
  writeCredentials(file, creds);
  reporter.info(`provisioned ${provisioned.length} devices; credentials saved to ${file}`, { file, devices: provisioned.length });
  return { file, creds };
}

/** The demo spec driving a device: by role, else the n-th spec of the same kind/subtype. */
export function specFor(device: DeviceCredential, index: number): DemoDeviceSpec {
  const byRole = demoDevices.find((s) => s.role === device.role);
  if (byRole) return byRole;
  const sameKind = demoDevices.filter((s) => s.kind === device.kind && (device.kind !== 'fire' || s.subtype === device.subtype));
  const base = sameKind.length ? sameKind[index % sameKind.length] : demoDevices[0];
  return { ...base, role: device.role ?? device.id, kind: device.kind, subtype: device.subtype ?? base.subtype };
}

type Model =
  | { kind: 'elevator'; model: ElevatorModel }
  | { kind: 'fire'; model: FireModel }
  | { kind: 'gate'; model: GateModel };

/** One simulated device: a model, its connection, and when it reports next. */
class SimDevice {
  nextReadingMs = 0;
  vehicles = 0;
  commands = 0;
  private lastPhase = '';

  constructor(
    readonly device: DeviceCredential,
    readonly spec: DemoDeviceSpec,
    readonly conn: DeviceConnection,
    readonly sim: Model,
    private readonly rng: Rng,
  ) {
    conn.on('command', (cmd) => {
      this.commands++;
      if (this.sim.kind === 'gate') {
        const result = this.sim.model.command(cmd.cmd, cmd.lane);
        this.conn.ack(cmd.id, result.ok, result.error);
        if (this.sim.model.takeChanged()) this.publishReading(Date.now());
      } else if (cmd.cmd === 'ping') {
        this.conn.ack(cmd.id, true);
      } else {
        this.conn.ack(cmd.id, false, `unsupported command ${cmd.cmd}`);
      }
    });
  }

  private publishReading(now: number): void {
    if (this.conn.connected) this.conn.publishTelemetry(this.sim.model.reading(now), 1);
  }

  tick(dtMs: number, now: number, clockMs: number): void {
    const connected = this.conn.connected;
    switch (this.sim.kind) {
      case 'elevator': {
        const m = this.sim.model;
        m.step(dtMs);
        for (const e of m.drainEvents()) if (connected) this.conn.publishEvent({ ts: now, ...e });
        const phase = `${m.phase}/${m.direction}/${m.occupied}`;
        const changed = phase !== this.lastPhase;
        this.lastPhase = phase;
        if (changed || clockMs >= this.nextReadingMs) {
          this.publishReading(now);
          this.nextReadingMs = clockMs + (m.busy ? 1000 : this.rng.range(5000, 10000));
        }
        return;
      }
      case 'fire': {
        const m = this.sim.model;
        m.step(dtMs);
        const events = m.drainEvents();
        for (const e of events) if (connected) this.conn.publishEvent({ ts: now, ...e });
        if (events.length || clockMs >= this.nextReadingMs) {
          this.publishReading(now);
          const every = m.subtype === 'hydrant_pressure' || m.subtype === 'sprinkler_pressure' ? 10000 : m.subtype === 'tank_level' ? 30000 : 60000;
          this.nextReadingMs = clockMs + every * this.rng.range(0.9, 1.1);
        }
        return;
      }
      case 'gate': {
        const m = this.sim.model;
        m.step(dtMs);
        for (const v of m.drainVehicles()) {
          this.vehicles++;
          if (connected) this.conn.publishEvent({ ts: now, ...v.event });
        }
        if (m.takeChanged() || clockMs >= this.nextReadingMs) {
          this.publishReading(now);
          this.nextReadingMs = clockMs + 30000;
        }
        return;
      }
    }
  }
}

function buildModel(spec: DemoDeviceSpec, device: DeviceCredential, rng: Rng, opts: DemoOptions): Model {
  switch (device.kind) {
    case 'elevator': {
      const lowest = spec.elevator?.lowestFloor ?? -1;
      const top = spec.elevator?.topFloor ?? 18;
      const start = rng.chance(0.5) ? 1 : rng.int(Math.max(1, lowest), top);
      return {
        kind: 'elevator',
        model: new ElevatorModel(rng.fork(), { ...spec.elevator, meanCallIntervalS: opts.callInterval, incidentRate: opts.incidents }, start),
      };
    }
    case 'fire':
      return { kind: 'fire', model: new FireModel(rng.fork(), device.subtype ?? spec.subtype ?? 'controller', opts.incidents, spec.location) };
    case 'gate':
      return {
        kind: 'gate',
        model: new GateModel(rng.fork(), new PlateGenerator(rng.fork()), {
          lanes: spec.lanes,
          meanArrivalIntervalS: opts.vehicleInterval,
        }),
      };
  }
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const reporter = new Reporter(!!opts.json);
  const { file, creds } = await demoCredentials(opts, reporter);
  const rng = new Rng(opts.seed ?? Date.now());
  const devices = creds.devices.map((device, i) => {
    const spec = specFor(device, i);
    const conn = new DeviceConnection(device, { url: opts.mqtt, protocolVersion: opts.protocol });
    const deviceRng = rng.fork();
    return new SimDevice(device, spec, conn, buildModel(spec, device, deviceRng, opts), deviceRng);
  });
  reporter.info(`connecting ${devices.length} devices to ${opts.mqtt} (community ${creds.communityId ?? '-'}, credentials ${file})`);
  const results = await Promise.allSettled(devices.map((d) => d.conn.connect()));
  const live: SimDevice[] = [];
  results.forEach((r, i) => {
    const d = devices[i];
    if (r.status === 'fulfilled') live.push(d);
    else reporter.warn(`device ${d.device.id} (${describeDevice(d.device)}) could not connect: ${(r.reason as Error).message}`, { deviceId: d.device.id });
  });
  if (live.length === 0) throw new Error('no device could connect');
  for (const d of live) d.conn.on('disconnected', (why) => reporter.warn(`device ${d.device.id} disconnected: ${why}`, { deviceId: d.device.id }));

  const signal = stopSignal(opts.duration);
  const started = Date.now();
  let clockMs = 0;
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const dt = Math.min(5000, now - last);
    last = now;
    clockMs += dt;
    for (const d of live) d.tick(dt, now, clockMs);
  }, TICK_MS);

  const progress = () => {
    const stats = {
      connected: live.filter((d) => d.conn.connected).length,
      devices: devices.length,
      sent: live.reduce((s, d) => s + d.conn.sent, 0),
      errors: devices.reduce((s, d) => s + d.conn.errors, 0),
      vehicles: live.reduce((s, d) => s + d.vehicles, 0),
      commands: live.reduce((s, d) => s + d.commands, 0),
      elapsedS: Math.round((Date.now() - started) / 1000),
    };
    reporter.record(
      'progress',
      stats,
      `[demo ${stats.elapsedS}s] ${stats.connected}/${stats.devices} connected · ${stats.sent} messages sent · ${stats.vehicles} vehicles · ${stats.commands} commands · ${stats.errors} errors`,
    );
    return stats;
  };
  const progressTimer = setInterval(progress, PROGRESS_MS);
  progress();
  await sleep(2 ** 31 - 1, signal);
  clearInterval(timer);
  clearInterval(progressTimer);
  const final = progress();
  await Promise.all(devices.map((d) => d.conn.close().catch(() => undefined)));
  reporter.record('summary', final, `demo stopped after ${final.elapsedS}s; devices marked offline`);
}
