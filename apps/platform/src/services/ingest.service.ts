import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { IPoint } from 'influx';
import { parseDeviceTopic, type TopicChannel } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import { hasRole, type PlatformConfig } from '../config/config';
import { parseDeviceMessage, type RejectReason } from '../domain/device-message';
import { eventPoint, pointTimestamp, readingPoint } from '../domain/influx-points';
import { eventChanges, readingChanges } from '../domain/live-state';
import type { DeviceProfile } from '../domain/device-profile';
import { ClockRepository } from '../repositories/clock.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { durationMs } from '../repositories/influx.repository';
import { IngestWalRepository } from '../repositories/ingest-wal.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { RedisRepository, type DeadLetter } from '../repositories/redis.repository';
import { DeviceDirectoryService } from './device-directory.service';
import { IngestShipperService } from './ingest-shipper.service';
import { LiveStateService } from './live-state.service';
import { PresenceService } from './presence.service';

const PAYLOAD_PREFIX_CHARS = 256;

/** A fire reading may carry neither value nor flags (a heartbeat): nothing to store, still a sign of life. */
const hasFields = (point: IPoint) => Object.keys(point.fields ?? {}).length > 0;
const DEAD_LETTER_FLUSH_MS = 200;
/** A graceful stop ships what it can of the write-ahead log for this long; the rest is replayed at the next start. */
const SHUTDOWN_SHIP_MS = 10_000;

/**
 * The ingestion path, the same for the embedded broker and an external one: validate each device
 * message, store readings and events in InfluxDB, update live state and presence, and dead-letter
 * what is refused (counted by reason). Points go to the write-ahead log first: a QoS 1 message
 * is acknowledged once its points are durable there (group commit), and the shipper stores them
 * in InfluxDB. QoS 0 messages are best effort: logged without waiting, dropped (and counted) when
 * the log is full or cannot be written.
 */
@Injectable()
export class IngestService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(IngestService.name);
  private walOpen = false;
  private deadLetters: DeadLetter[] = [];
  private deadLetterTimer?: NodeJS.Timeout;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly directory: DeviceDirectoryService,
    private readonly wal: IngestWalRepository,
    private readonly shipper: IngestShipperService,
    private readonly liveState: LiveStateService,
    private readonly presence: PresenceService,
    private readonly redis: RedisRepository,
    private readonly metrics: MetricsRepository,
    private readonly clock: ClockRepository,
    private readonly events: EventBusRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    // The processes that ingest: the `ingest` role, and the `broker` role with the embedded broker.
    if (hasRole(this.config, 'ingest') || (!this.config.mqtt.externalUrl && hasRole(this.config, 'broker'))) {
      this.wal.onWritableChange((error) => this.events.emit('ingest.wal.writable', { writable: !error, ...(error ? { error } : {}), ts: this.clock.now() }));
      await this.wal.open();
      this.walOpen = true;
      this.shipper.start();
    }
    this.deadLetterTimer = setInterval(() => void this.flushDeadLetters(), DEAD_LETTER_FLUSH_MS);
  }

  /** At shutdown, once MQTT has stopped and before Redis and PostgreSQL close: what the last messages left in memory is written. */
  async brokerStopped(): Promise<void> {
    clearInterval(this.deadLetterTimer);
    await this.flushDeadLetters();
    await this.liveState.finish();
  }

  /** The write-ahead log ships to InfluxDB and closes (neither is Redis nor PostgreSQL). */
  async onApplicationShutdown(): Promise<void> {
    if (!this.walOpen) return;
    await this.shipper.drain(SHUTDOWN_SHIP_MS);
    await this.shipper.stop();
    await this.wal.close();
  }

  /**
   * Handles one message from the broker. `qos` 1 or 2: the returned promise resolves once the
   * message is durable, and the caller acknowledges it only then (it waits while the log is full
   * or cannot be written, holding the publisher back). `qos` 0: never waits.
   */
  handle(topic: string, payload: Buffer, qos: 0 | 1 | 2): Promise<void> | undefined {
    const parsed = parseDeviceTopic(topic);
    if (!parsed || parsed.channel === 'commands') return undefined;
    const device = this.directory.cached(parsed.deviceId);
    if (device === undefined) {
      return this.directory.get(parsed.deviceId).then((loaded) => this.store(this.process(loaded, parsed.deviceId, parsed.channel, topic, payload), qos));
    }
    return this.store(this.process(device, parsed.deviceId, parsed.channel, topic, payload), qos);
  }

  private store(points: IPoint[] | undefined, qos: 0 | 1 | 2): Promise<void> | undefined {
    if (!points || points.length === 0) return undefined;
    if (qos > 0) return this.wal.append(points);
    this.metrics.ingestBestEffort.inc({ outcome: this.wal.append(points, true) ? 'logged' : 'dropped' });
    return undefined;
  }

  /** Reports that a device's connection to the embedded broker opened or closed. */
  connectionChanged(deviceId: string, connected: boolean): void {
    this.presence.report(deviceId, connected, connected ? 'connect' : 'disconnect');
  }

  /** Validates a message, updates live state and presence; returns the points to store. */
  private process(device: DeviceProfile | null, deviceId: string, channel: TopicChannel, topic: string, payload: Buffer): IPoint[] | undefined {
    const now = this.clock.now();
    if (!device) {
      this.reject('unknown_device', deviceId, topic, payload, 'no such device is registered');
      return undefined;
    }
    if (device.disabled) {
      this.reject('disabled_device', deviceId, topic, payload, 'device is disabled');
      return undefined;
    }
    let points: IPoint[] | undefined;

    const message = parseDeviceMessage(device.kind, channel, payload, now, {
      maxReadings: this.config.ingest.backfillMaxReadings,
      maxAgeMs: durationMs(this.config.influx.rawRetention),
    });
    for (const r of message.rejections) this.reject(r.reason, deviceId, topic, payload, r.detail);

    switch (message.channel) {
      case 'telemetry': {
        if (message.readings.length === 0) return;
        points = message.readings
          .map(({ reading, ts }, index) => readingPoint(device, reading, pointTimestamp(ts, payload, index)))
          .filter(hasFields);
        for (const { reading, ts } of message.readings) {
          this.liveState.update(device, ts, readingChanges(reading));
          this.events.emit('device.reading', { device, reading, ts });
        }
        break;
      }
      case 'events': {
        if (!message.event) return;
        const { event, ts } = message.event;
        points = [eventPoint(device, event, pointTimestamp(ts, payload, 0))];
        this.liveState.update(device, ts, eventChanges(device.kind, event, ts));
        this.events.emit('device.event', { device, event, ts });
        break;
      }
      case 'status':
        if (message.online === undefined) return;
        this.presence.report(deviceId, message.online, 'status');
        this.metrics.ingestMessages.inc({ kind: device.kind, channel });
        return;
      case 'commands/ack':
        if (!message.ack) return;
        if (!message.ack.ok) this.logger.warn(`device ${deviceId} failed command ${message.ack.id}: ${message.ack.error ?? 'no reason given'}`);
        this.events.emit('device.commandAck', { device, ack: message.ack, ts: now });
        break;
    }
    this.metrics.ingestMessages.inc({ kind: device.kind, channel });
    this.liveState.seen(device, now);
    this.presence.report(deviceId, true, 'message');
    return points;
  }

  private reject(reason: RejectReason, deviceId: string, topic: string, payload: Buffer, detail: string): void {
    this.metrics.ingestRejected.inc({ reason });
    if (this.deadLetters.length >= this.config.ingest.deadLetterCap) this.deadLetters.shift();
    this.deadLetters.push({
      ts: this.clock.now(),
      deviceId,
      topic,
      reason,
      detail,
      payloadPrefix: payload.subarray(0, PAYLOAD_PREFIX_CHARS * 4).toString('utf8').slice(0, PAYLOAD_PREFIX_CHARS),
    });
  }

  /** Records a message refused before ingestion (e.g. by the broker's permissions). */
  recordRefusal(reason: RejectReason, deviceId: string, topic: string, payload: Buffer, detail: string): void {
    this.reject(reason, deviceId, topic, payload, detail);
  }

  private async flushDeadLetters(): Promise<void> {
    if (this.deadLetters.length === 0) return;
    const batch = this.deadLetters;
    this.deadLetters = [];
    try {
      await this.redis.pushDeadLetters(batch);
    } catch (error) {
      this.logger.warn(`${batch.length} dead letters not written to Redis: ${(error as Error).message}`);
      this.deadLetters = batch.concat(this.deadLetters).slice(-this.config.ingest.deadLetterCap);
    }
  }
}
