import { Injectable, Logger } from '@nestjs/common';
import type { CommandAck, DeviceEvent, Reading } from '@app/contracts';
import type { DeviceProfile } from '../domain/device-profile';

/**
 * In-process events of the platform, typed. Ingestion announces every accepted reading, event,
 * presence change and command acknowledgement; alarms, parking and the like subscribe.
 * Handlers run synchronously on the ingestion path: keep them cheap and never throw (a handler
 * that throws is logged and the others still run). Slow work belongs in a job.
 */
export interface PlatformEvents {
  'device.reading': { device: DeviceProfile; reading: Reading; ts: number };
  'device.event': { device: DeviceProfile; event: DeviceEvent; ts: number };
  'device.presence': { device: DeviceProfile; online: boolean; ts: number };
  'device.commandAck': { device: DeviceProfile; ack: CommandAck; ts: number };
  /** Alarm lifecycle, emitted by the alarm service (e.g. parking switches gates to free flow on fire). */
  'alarm.raised': AlarmNotice;
  'alarm.updated': AlarmNotice;
  'alarm.cleared': AlarmNotice;
  /** A device was created, or its credentials or status changed (this process or another): caches drop it; for the latter its connection closes. */
  'device.changed': { deviceId: string; dropConnection: boolean };
  /** Alarm detection settings were reloaded (this process or another). */
  'alarm-settings.changed': Record<string, never>;
  /** A parking session closed (the car left); billing prices it. */
  'parking.session.closed': { sessionId: string; communityId: string };
  /** A payment of a parking bill was booked (cash, WeChat Pay, any provider): a lane held for it may open. */
  'billing.bill.paid': { billId: string; communityId: string };
  /** The ingestion write-ahead log could not be written (`error`, e.g. ENOSPC) or is writable again (no `error`); transitions only. */
  'ingest.wal.writable': { writable: boolean; error?: string; ts: number };
}

export interface AlarmNotice {
  alarmId: string;
  deviceId: string;
  communityId: string;
  /** e.g. trapped_not_level, fire, low_pressure, offline */
  type: string;
  /** 1 (critical) … 5 (info) */
  severity: number;
  state: string;
  ts: number;
}

type Handler<E extends keyof PlatformEvents> = (payload: PlatformEvents[E]) => void;

@Injectable()
export class EventBusRepository {
  private readonly logger = new Logger(EventBusRepository.name);
  private readonly handlers: { [E in keyof PlatformEvents]?: Array<Handler<E>> } = {};

  on<E extends keyof PlatformEvents>(event: E, handler: Handler<E>): void {
    ((this.handlers[event] ??= []) as Array<Handler<E>>).push(handler);
  }

  emit<E extends keyof PlatformEvents>(event: E, payload: PlatformEvents[E]): void {
    const handlers = this.handlers[event] as Array<Handler<E>> | undefined;
    if (!handlers) return;
    for (const handler of handlers) {
      try {
        handler(payload);
      } catch (error) {
        this.logger.error(`${event} handler failed: ${(error as Error).stack ?? String(error)}`);
      }
    }
  }
}
