import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { IPoint } from 'influx';
import { parseDeviceTopic, type TopicChannel } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { parseDeviceMessage, type RejectReason } from '../domain/device-message';
import { PointClock, eventPoint, readingPoint } from '../domain/influx-points';
import { eventChanges, readingChanges } from '../domain/live-state';
import type { DeviceProfile } from '../domain/device-profile';
import { ClockRepository } from '../repositories/clock.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { InfluxRepository } from '../repositories/influx.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { RedisRepository, type DeadLetter } from '../repositories/redis.repository';
import { DeviceDirectoryService } from './device-directory.service';
import { LiveStateService } from './live-state.service';
import { PresenceService } from './presence.service';

const PAYLOAD_PREFIX_CHARS = 256;

/** A fire reading may carry neither value nor flags (a heartbeat): nothing to store, still a sign of life. */
const hasFields = (point: IPoint) => Object.keys(point.fields ?? {}).length > 0;
const DEAD_LETTER_FLUSH_MS = 200;

/**
 * The ingestion path, the same for the embedded broker and an external one: validate each device
 * message, store readings and events in InfluxDB, update live state and presence, and dead-letter
 * what is refused (counted by reason). Nothing here waits on I/O per message.
 */
@Injectable()
export class IngestService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(IngestService.name);
  private pointClock = new PointClock();
  private deadLetters: DeadLetter[] = [];
  private deadLetterTimer?: NodeJS.Timeout;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly directory: DeviceDirectoryService,
    private readonly influx: InfluxRepository,
    private readonly liveState: LiveStateService,
    private readonly presence: PresenceService,
    private readonly redis: RedisRepository,
    private readonly metrics: MetricsRepository,
    private readonly clock: ClockRepository,
    private readonly events: EventBusRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    // A tag of this process for the sub-millisecond digits of InfluxDB timestamps (PointClock).
    this.pointClock = new PointClock(await this.redis.nextProcessSeq());
    this.deadLetterTimer = setInterval(() => void this.flushDeadLetters(), DEAD_LETTER_FLUSH_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.deadLetterTimer);
    await this.flushDeadLetters();
  }

  /**
   * Handles one message from the broker. Returns a promise only when the caller should wait:
   * the device is not cached yet, or InfluxDB is behind (back-pressure on the publisher).
   */
  handle(topic: string, payload: Buffer): Promise<void> | undefined {
    const parsed = parseDeviceTopic(topic);
    if (!parsed || parsed.channel === 'commands') return undefined;
    const device = this.directory.cached(parsed.deviceId);
    if (device === undefined) {
      return this.directory.get(parsed.deviceId).then((loaded) => {
        this.process(loaded, parsed.deviceId, parsed.channel, topic, payload);
        return this.backPressure();
      });
    }
    this.process(device, parsed.deviceId, parsed.channel, topic, payload);
    return this.backPressure();
  }

  /** Reports that a device's connection to the embedded broker opened or closed. */
  connectionChanged(deviceId: string, connected: boolean): void {
    this.presence.report(deviceId, connected, connected ? 'connect' : 'disconnect');
  }

  private backPressure(): Promise<void> | undefined {
    return this.influx.whenPendingBelow(this.config.influx.maxPending / 2);
  }

  private process(device: DeviceProfile | null, deviceId: string, channel: TopicChannel, topic: string, payload: Buffer): void {
    const now = this.clock.now();
    if (!device) return this.reject('unknown_device', deviceId, topic, payload, 'no such device is registered');
    if (device.disabled) return this.reject('disabled_device', deviceId, topic, payload, 'device is disabled');

    const message = parseDeviceMessage(device.kind, channel, payload, now);
    for (const r of message.rejections) this.reject(r.reason, deviceId, topic, payload, r.detail);

    switch (message.channel) {
      case 'telemetry': {
        if (message.readings.length === 0) return;
        const points = message.readings
          .map(({ reading, ts }) => readingPoint(device, reading, this.pointClock.timestamp(deviceId, ts)))
          .filter(hasFields);
        this.influx.enqueue(points);
        for (const { reading, ts } of message.readings) {
          this.liveState.update(device, ts, readingChanges(reading));
          this.events.emit('device.reading', { device, reading, ts });
        }
        break;
      }
      case 'events': {
        if (!message.event) return;
        const { event, ts } = message.event;
        this.influx.enqueue([eventPoint(device, event, this.pointClock.timestamp(deviceId, ts))]);
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
