import { parser as mqttParser, type Packet } from 'mqtt-packet';
import { Rng } from '../random';
import { LatencyHistogram } from '../stats';
import type { BackoffPolicy } from './backoff';
import { LeanDevice, type FleetDevice } from './lean-device';
import { WakeSchedule } from './schedule';

export interface FleetShardOptions {
  host: string;
  port: number;
  protocolVersion: 4 | 5;
  keepaliveS: number;
  publishIntervalMs: number;
  qos: 0 | 1;
  /** No CONNACK within this time: drop and retry. */
  connectTimeoutMs: number;
  /** A PUBACK not back within this time counts as lost. */
  ackTimeoutMs: number;
  backoff: BackoffPolicy;
  /** First connections started per second by this shard (the power-on ramp); 0 = all at once. */
  connectRatePerSec: number;
  /** Local addresses to connect from, device i from address i mod n; empty = the OS's choice. */
  sourceAddresses: string[];
  seed: number;
}

export interface FleetCounters {
  connected: number;
  connecting: number;
  waiting: number;
  connects: number;
  disconnects: number;
  published: number;
  acked: number;
  commands: number;
}

/** What a shard reports each second: gauges and cumulative counters, and the latencies since the last report. */
export interface ShardSnapshot extends FleetCounters {
  devices: number;
  errors: Record<string, number>;
  latency: { buckets: Array<[number, number]>; max: number };
  rssBytes: number;
  cpuMicros: number;
}

/** How often the shard looks at its wake schedule. */
const TICK_MS = 20;

/**
 * A set of fleet devices run by one process (one event loop, one file-descriptor table): the
 * shared MQTT parser, the wake schedule, the counters. A process holds at most its open-file
 * limit of connections, so the fleet mode runs several shards in child processes.
 */
export class FleetShard {
  readonly counters: FleetCounters = { connected: 0, connecting: 0, waiting: 0, connects: 0, disconnects: 0, published: 0, acked: 0, commands: 0 };
  readonly schedule = new WakeSchedule();
  readonly generateOptions: { protocolVersion: 4 | 5 };
  readonly seed: number;
  stopping = false;
  private readonly errors = new Map<string, number>();
  private readonly latency = new LatencyHistogram();
  private readonly parser;
  private current: LeanDevice | undefined;
  private readonly rng: Rng;
  private readonly devices: LeanDevice[];
  private timer: NodeJS.Timeout | undefined;
  readonly random = (): number => this.rng.next();

  constructor(
    devices: readonly FleetDevice[],
    readonly options: FleetShardOptions,
    /** Index of this shard's first device in the whole fleet (for source addresses and seeds). */
    firstIndex = 0,
  ) {
    this.seed = options.seed;
    this.rng = new Rng(options.seed + firstIndex);
    this.generateOptions = { protocolVersion: options.protocolVersion };
    this.parser = mqttParser({ protocolVersion: options.protocolVersion });
    this.parser.on('packet', (packet: Packet) => this.current?.onPacket(packet));
    this.parser.on('error', () => this.current?.drop('protocol_error'));
    const addresses = options.sourceAddresses;
    this.devices = devices.map((d, i) => {
      const index = firstIndex + i;
      return new LeanDevice(this, d, index, addresses.length > 0 ? addresses[index % addresses.length] : undefined);
    });
  }

  start(): void {
    const now = performance.now();
    const rate = this.options.connectRatePerSec;
    this.devices.forEach((d, i) => d.startAt(rate > 0 ? now + (i * 1000) / rate : now));
    this.timer = setInterval(() => this.schedule.runDue(performance.now()), TICK_MS);
  }

  /** Parses one whole packet of `device` (frames are cut by the device, so the parser holds nothing between calls). */
  parse(device: LeanDevice, frame: Buffer): void {
    this.current = device;
    try {
      this.parser.parse(frame);
    } finally {
      this.current = undefined;
    }
  }

  error(kind: string, n = 1): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + n);
  }

  acked(ms: number): void {
    this.counters.acked++;
    this.latency.record(ms);
  }

  snapshot(): ShardSnapshot {
    const latency = this.latency.toSparse();
    this.latency.reset();
    const cpu = process.cpuUsage();
    return {
      ...this.counters,
      devices: this.devices.length,
      errors: Object.fromEntries(this.errors),
      latency,
      rssBytes: process.memoryUsage.rss(),
      cpuMicros: cpu.user + cpu.system,
    };
  }

  /** Disconnects every device (DISCONNECT, so no will) and stops reconnecting. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    const all = Promise.all(this.devices.map((d) => d.stop()));
    const timer = setTimeout(() => this.devices.forEach((d) => d.drop('stopped')), timeoutMs);
    await all;
    clearTimeout(timer);
    clearInterval(this.timer);
  }
}
