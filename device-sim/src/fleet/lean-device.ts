import { connect as tcpConnect, type Socket } from 'node:net';
import { generate, type IConnackPacket, type IPublishPacket, type ISubackPacket, type Packet } from 'mqtt-packet';
import { deviceTopic, type DeviceKind, type FireSubtype } from '@app/contracts';
import { reconnectDelayMs } from './backoff';
import { FramingError, splitFrames } from './framing';
import { FleetReadings } from './mix';
import type { FleetShard } from './fleet-shard';
import type { Wakeable } from './schedule';

export interface FleetDevice {
  id: string;
  secret: string;
  kind: DeviceKind;
  subtype?: FireSubtype | null;
}

type State = 'waiting' | 'connecting' | 'handshake' | 'connected' | 'stopped';

/** A connection that lasted this long counts as stable: the next loss starts the back-off afresh. */
const STABLE_MS = 20_000;

const CONNACK_REASONS: Record<number, string> = {
  1: 'connack_bad_protocol',
  2: 'connack_identifier_rejected',
  3: 'connack_server_unavailable',
  4: 'connack_bad_credentials',
  5: 'connack_not_authorized',
  // MQTT 5 reason codes
  0x86: 'connack_bad_credentials',
  0x87: 'connack_not_authorized',
  0x88: 'connack_server_unavailable',
  0x89: 'connack_server_busy',
  0x97: 'connack_quota_exceeded',
  0x9f: 'connack_rate_too_high',
};

/**
 * One device of the fleet on a raw TCP socket: contract §2 (clientId = username = id, clean
 * session, retained "offline" will, "online" and a subscription to its commands after CONNACK),
 * QoS 1 telemetry every publish interval, PINGREQ every keep-alive period, reconnects with
 * back-off. It keeps only what it must between packets; framing and parsing are shared by the
 * shard, and its timers are one entry in the shard's wake schedule.
 */
export class LeanDevice implements Wakeable {
  wakeGeneration = 0;
  state: State = 'waiting';
  private socket: Socket | undefined;
  private tail: Buffer | undefined;
  private attempt = 0;
  private connectedAt = 0;
  private deadline = 0;
  private nextPublishAt = 0;
  private nextPingAt = 0;
  private pingOutstanding = false;
  private messageId = 0;
  /** Unacknowledged QoS 1 telemetry: message id, send time, … */
  private inflight: number[] = [];
  /** Why the current socket ends, if we know (set by the first error). */
  private lostBecause: string | undefined;
  private readings: FleetReadings | undefined;

  constructor(
    private readonly shard: FleetShard,
    readonly device: FleetDevice,
    private readonly index: number,
    private readonly localAddress: string | undefined,
  ) {}

  private get telemetryTopic(): string {
    return deviceTopic(this.device.id, 'telemetry');
  }

  wake(now: number): void {
    switch (this.state) {
      case 'waiting':
        this.connect(now);
        return;
      case 'connecting':
      case 'handshake':
        if (now >= this.deadline) this.drop('connect_timeout');
        else this.shard.schedule.at(this, this.deadline);
        return;
      case 'connected':
        this.tick(now);
        return;
      case 'stopped':
        return;
    }
  }

  /** Starts the connection at `at` (the initial ramp). */
  startAt(at: number): void {
    this.shard.counters.waiting++;
    this.shard.schedule.at(this, at);
  }

  private connect(now: number): void {
    const o = this.shard.options;
    this.shard.counters.waiting--;
    this.shard.counters.connecting++;
    this.state = 'connecting';
    this.deadline = now + o.connectTimeoutMs;
    this.lostBecause = undefined;
    this.pingOutstanding = false;
    let socket: Socket;
    try {
      socket = tcpConnect({ host: o.host, port: o.port, localAddress: this.localAddress, noDelay: true });
    } catch (error) {
      this.shard.error((error as NodeJS.ErrnoException).code ?? 'socket_error');
      this.closed();
      return;
    }
    this.socket = socket;
    socket.on('connect', () => this.onTcpConnect());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.lostBecause ??= error.code ?? 'socket_error';
    });
    socket.on('close', () => this.closed());
    this.shard.schedule.at(this, this.deadline);
  }

  private onTcpConnect(): void {
    if (this.state !== 'connecting' || !this.socket) return;
    const o = this.shard.options;
    const id = this.device.id;
    this.state = 'handshake';
    this.write({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: o.protocolVersion,
      clean: true,
      clientId: id,
      username: id,
      password: Buffer.from(this.device.secret),
      keepalive: o.keepaliveS,
      will: { topic: deviceTopic(id, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.tail = splitFrames(this.tail, chunk, (frame) => this.shard.parse(this, frame));
    } catch (error) {
      this.drop(error instanceof FramingError ? 'framing_error' : 'protocol_error');
    }
  }

  /** A whole packet from the broker, parsed by the shard. */
  onPacket(packet: Packet): void {
    switch (packet.cmd) {
      case 'connack':
        return this.onConnack(packet);
      case 'puback': {
        // Even positions hold message ids, odd ones their send times.
        for (let i = 0; i < this.inflight.length; i += 2) {
          if (this.inflight[i] !== packet.messageId) continue;
          this.shard.acked(performance.now() - this.inflight[i + 1]);
          this.inflight.splice(i, 2);
          break;
        }
        return;
      }
      case 'pingresp':
        this.pingOutstanding = false;
        return;
      case 'suback':
        if ((packet as ISubackPacket).granted.some((g) => (typeof g === 'number' ? g : ((g as { qos?: number }).qos ?? 0)) >= 0x80)) this.shard.error('suback_refused');
        return;
      case 'publish':
        return this.onCommand(packet);
      case 'disconnect':
        this.lostBecause ??= 'disconnected_by_server';
        return;
      default:
        return;
    }
  }

  private onConnack(packet: IConnackPacket): void {
    if (this.state !== 'handshake') return;
    const code = packet.returnCode ?? packet.reasonCode ?? 0;
    if (code !== 0) {
      this.drop(CONNACK_REASONS[code] ?? `connack_refused_${code}`);
      return;
    }
    const now = performance.now();
    const o = this.shard.options;
    this.state = 'connected';
    this.connectedAt = now;
    this.shard.counters.connecting--;
    this.shard.counters.connected++;
    this.shard.counters.connects++;
    const id = this.device.id;
    this.write({ cmd: 'publish', topic: deviceTopic(id, 'status'), payload: 'online', qos: 1, retain: true, dup: false, messageId: this.nextMessageId() });
    this.write({ cmd: 'subscribe', messageId: this.nextMessageId(), subscriptions: [{ topic: deviceTopic(id, 'commands'), qos: 1 }] });
    // Readings start at a random phase of the interval: a fleet's clocks are not in step.
    this.nextPublishAt = now + this.shard.random() * o.publishIntervalMs;
    this.nextPingAt = o.keepaliveS > 0 ? now + o.keepaliveS * 1000 : Infinity;
    this.reschedule();
  }

  private onCommand(packet: IPublishPacket): void {
    if (packet.qos === 1 && packet.messageId !== undefined) this.write({ cmd: 'puback', messageId: packet.messageId });
    this.shard.counters.commands++;
    let id: unknown;
    try {
      id = (JSON.parse(packet.payload.toString()) as { id?: unknown }).id;
    } catch {
      return;
    }
    if (typeof id === 'string') {
      const ack = JSON.stringify({ id, ok: true });
      this.write({ cmd: 'publish', topic: deviceTopic(this.device.id, 'commands/ack'), payload: ack, qos: 1, retain: false, dup: false, messageId: this.nextMessageId() });
    }
  }

  private tick(now: number): void {
    const o = this.shard.options;
    if (now >= this.nextPingAt) {
      if (this.pingOutstanding) return this.drop('ping_timeout');
      this.pingOutstanding = true;
      this.write({ cmd: 'pingreq' });
      this.nextPingAt = now + o.keepaliveS * 1000;
    }
    if (now >= this.nextPublishAt) {
      this.publishReading(now);
      this.nextPublishAt = Math.max(this.nextPublishAt + o.publishIntervalMs, now + o.publishIntervalMs / 2);
    }
    this.reschedule();
  }

  private publishReading(now: number): void {
    const o = this.shard.options;
    if (o.qos === 1 && this.inflight.length > 0 && now - this.inflight[1] > o.ackTimeoutMs) {
      this.shard.error('puback_timeout');
      this.inflight.splice(0, 2);
    }
    this.readings ??= new FleetReadings(this.device.kind, this.device.subtype, this.shard.seed + this.index);
    const payload = this.readings.next(Date.now());
    if (o.qos === 1) {
      const messageId = this.nextMessageId();
      this.inflight.push(messageId, now);
      this.write({ cmd: 'publish', topic: this.telemetryTopic, payload, qos: 1, retain: false, dup: false, messageId });
    } else {
      this.write({ cmd: 'publish', topic: this.telemetryTopic, payload, qos: 0, retain: false, dup: false });
    }
    this.shard.counters.published++;
  }

  private reschedule(): void {
    this.shard.schedule.at(this, Math.min(this.nextPublishAt, this.nextPingAt));
  }

  private nextMessageId(): number {
    this.messageId = (this.messageId % 65535) + 1;
    return this.messageId;
  }

  private write(packet: Packet): void {
    this.socket?.write(generate(packet, this.shard.generateOptions));
  }

  /** Ends the connection for `reason`; `closed` then schedules the reconnect. */
  drop(reason: string): void {
    this.lostBecause ??= reason;
    this.socket?.destroy();
  }

  private closed(): void {
    const counters = this.shard.counters;
    const now = performance.now();
    if (this.state === 'connected') {
      counters.connected--;
      counters.disconnects++;
      if (now - this.connectedAt >= STABLE_MS) this.attempt = 0;
    } else if (this.state === 'connecting' || this.state === 'handshake') {
      counters.connecting--;
    } else {
      return;
    }
    if (this.lostBecause !== 'stopped') this.shard.error(this.lostBecause ?? (this.state === 'connected' ? 'closed_by_server' : 'closed_before_connack'));
    if (this.inflight.length > 0) this.shard.error('unacked_at_disconnect', this.inflight.length / 2);
    this.inflight = [];
    this.socket?.removeAllListeners();
    this.socket = undefined;
    this.tail = undefined;
    if (this.shard.stopping) {
      this.state = 'stopped';
      this.shard.schedule.cancel(this);
      return;
    }
    this.state = 'waiting';
    counters.waiting++;
    this.shard.schedule.at(this, now + reconnectDelayMs(this.attempt++, this.shard.options.backoff, this.shard.random));
  }

  /** Stops reconnecting; a connected device says DISCONNECT (its will is not published). */
  stop(): Promise<void> {
    const socket = this.socket;
    if (this.state === 'waiting') {
      this.shard.counters.waiting--;
      this.state = 'stopped';
      this.shard.schedule.cancel(this);
      return Promise.resolve();
    }
    if (!socket || this.state === 'stopped') return Promise.resolve();
    return new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      this.lostBecause = 'stopped';
      if (this.state === 'connected') socket.end(generate({ cmd: 'disconnect' }, this.shard.generateOptions));
      else socket.destroy();
    });
  }
}
