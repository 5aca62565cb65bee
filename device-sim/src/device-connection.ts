import { EventEmitter } from 'node:events';
import mqtt, { IClientOptions, MqttClient } from 'mqtt';
import { commandSchema, deviceTopic, type DeviceCommand } from '@app/contracts';
import type { DeviceCredential } from './credentials';

export interface ConnectionOptions {
  url: string;
  protocolVersion?: 4 | 5;
  keepalive?: number;
  /** 0 disables automatic reconnects. */
  reconnectPeriod?: number;
  connectTimeout?: number;
}

export interface ConnectionEvents {
  command: [DeviceCommand];
  connected: [];
  disconnected: [string];
}

/**
 * One device's own MQTT session, following contract §2: clientId = username = device id,
 * password = secret, clean session, last will "offline" (retained, QoS 1) on its status topic,
 * retained "online" after every (re)connect, and a fresh subscription to its own commands
 * topic after every (re)connect (clean session: the broker forgets it).
 */
export class DeviceConnection extends EventEmitter<ConnectionEvents> {
  readonly client: MqttClient;
  readonly topics: { telemetry: string; events: string; status: string; commands: string; ack: string };
  sent = 0;
  errors = 0;
  connects = 0;
  lastError: string | undefined;
  private closing = false;

  constructor(
    readonly device: Pick<DeviceCredential, 'id' | 'secret'>,
    options: ConnectionOptions,
  ) {
    super();
    const id = device.id;
    this.topics = {
      telemetry: deviceTopic(id, 'telemetry'),
      events: deviceTopic(id, 'events'),
      status: deviceTopic(id, 'status'),
      commands: deviceTopic(id, 'commands'),
      ack: deviceTopic(id, 'commands/ack'),
    };
    const opts: IClientOptions = {
      clientId: id,
      username: id,
      password: device.secret,
      clean: true,
      protocolVersion: options.protocolVersion ?? 4,
      keepalive: options.keepalive ?? 30,
      reconnectPeriod: options.reconnectPeriod ?? 2000,
      connectTimeout: options.connectTimeout ?? 10000,
      resubscribe: false, // done explicitly in onConnect
      manualConnect: true,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    this.client = mqtt.connect(options.url, opts);
    this.client.on('connect', () => this.onConnect());
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.client.on('error', (err) => {
      this.errors++;
      this.lastError = err.message;
    });
    this.client.on('close', () => {
      if (!this.closing) this.emit('disconnected', this.lastError ?? 'connection closed');
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Connects; resolves on the first CONNACK, rejects on a refusal or timeout. */
  connect(timeoutMs = 15000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
      const onConnect = () => done();
      const onError = (err: Error) => done(err);
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.client.off('connect', onConnect);
        this.client.off('error', onError);
        if (err) {
          if (this.client.options.reconnectPeriod === 0 || /authori|password|identifier|Banned/i.test(err.message)) this.client.end(true);
          reject(err);
        } else resolve();
      };
      this.client.once('connect', onConnect);
      this.client.once('error', onError);
      this.client.connect();
    });
  }

  private onConnect(): void {
    this.connects++;
    // Writes are batched by the caller (cork/uncork); Nagle would only add latency on top.
    (this.client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    this.client.publish(this.topics.status, 'online', { qos: 1, retain: true }, (err) => this.countError(err));
    this.client.subscribe(this.topics.commands, { qos: 1 }, (err, granted) => {
      if (err) this.countError(err);
      else if (granted?.some((g) => g.qos >= 0x80)) this.countError(new Error(`subscribe to ${this.topics.commands} refused`));
    });
    this.emit('connected');
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic !== this.topics.commands) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      this.countError(new Error('command is not JSON'));
      return;
    }
    const cmd = commandSchema.safeParse(parsed);
    if (!cmd.success) {
      const id = (parsed as { id?: unknown })?.id;
      if (typeof id === 'string' && id) this.ack(id, false, 'invalid command');
      else this.countError(new Error('invalid command'));
      return;
    }
    this.emit('command', cmd.data);
  }

  private countError(err: Error | null | undefined): void {
    if (!err) return;
    this.errors++;
    this.lastError = err.message;
  }

  /** Publishes a reading (object, array or pre-serialised JSON) on telemetry. */
  publishTelemetry(reading: unknown, qos: 0 | 1 = 1, cb?: (err?: Error) => void): void {
    this.publish(this.topics.telemetry, reading, qos, cb);
  }

  publishEvent(event: unknown, cb?: (err?: Error) => void): void {
    this.publish(this.topics.events, event, 1, cb);
  }

  ack(id: string, ok: boolean, error?: string): void {
    this.publish(this.topics.ack, error === undefined ? { id, ok } : { id, ok, error }, 1);
  }

  private publish(topic: string, body: unknown, qos: 0 | 1, cb?: (err?: Error) => void): void {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    this.sent++;
    this.client.publish(topic, payload, { qos, retain: false }, (err) => {
      this.countError(err);
      cb?.(err ?? undefined);
    });
  }

  /** Marks the device offline (retained, as the will would) and disconnects cleanly. */
  async close(timeoutMs = 3000): Promise<void> {
    this.closing = true;
    if (this.client.connected) {
      await Promise.race([
        new Promise<void>((resolve) => this.client.publish(this.topics.status, 'offline', { qos: 1, retain: true }, () => resolve())),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs)),
      ]);
    }
    await new Promise<void>((resolve) => this.client.end(false, {}, () => resolve()));
  }
}
