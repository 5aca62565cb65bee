import type { IPoint } from 'influx';
import type { ElevatorEvent, FireEvent, Reading, VehicleEvent } from '@app/contracts';
import type { DeviceProfile } from './device-profile';

/** Turns a validated reading into its InfluxDB point (contract §3). `timestamp` is in nanoseconds. */
export function readingPoint(device: DeviceProfile, reading: Reading, timestamp: string): IPoint {
  const { ts: _ts, ...fields } = reading as Reading & { ts?: number };
  const tags: Record<string, string> = { community_id: device.communityId, device_id: device.id };
  if (device.kind === 'fire') {
    tags.subtype = device.subtype ?? 'unknown';
    const { flags, ...rest } = fields as { flags?: Record<string, boolean>; value?: number };
    return { measurement: 'fire', tags, fields: { ...rest, ...flags }, timestamp };
  }
  return { measurement: device.kind, tags, fields, timestamp };
}

/** Events go to the device's measurement too, with `event` naming the type. */
export function eventPoint(device: DeviceProfile, event: ElevatorEvent | FireEvent | VehicleEvent, timestamp: string): IPoint {
  const tags: Record<string, string> = { community_id: device.communityId, device_id: device.id };
  switch (device.kind) {
    case 'elevator': {
      const e = event as ElevatorEvent;
      return { measurement: 'elevator', tags, fields: { event: e.type, active: e.active }, timestamp };
    }
    case 'fire': {
      const e = event as FireEvent;
      tags.subtype = device.subtype ?? 'unknown';
      return { measurement: 'fire', tags, fields: { event: e.type, active: e.active, ...(e.zone ? { zone: e.zone } : {}) }, timestamp };
    }
    case 'gate': {
      const e = event as VehicleEvent;
      tags.lane = e.lane;
      const fields: Record<string, unknown> = { event: 'vehicle', plate: e.plate, direction: e.direction };
      if (e.confidence !== undefined) fields.confidence = e.confidence;
      return { measurement: 'gate', tags, fields, timestamp };
    }
  }
}

/**
 * Nanosecond timestamps from millisecond ones. InfluxDB keeps one point per series and time, so
 * two readings of a device in the same millisecond would overwrite each other. The six
 * sub-millisecond digits keep them apart: three for a per-device counter, three for the ingest
 * process (several processes sharing an external broker each see part of a device's messages).
 */
export class PointClock {
  private readonly counters = new Map<string, number>();
  private readonly processDigits: string;

  /** `processTag`: 0–999, distinct for every ingest process writing to one database. */
  constructor(processTag = 0) {
    this.processDigits = String(processTag % 1000).padStart(3, '0');
  }

  timestamp(deviceId: string, ms: number): string {
    const n = ((this.counters.get(deviceId) ?? 0) + 1) % 1000;
    this.counters.set(deviceId, n);
    return `${ms}${String(n).padStart(3, '0')}${this.processDigits}`;
  }
}
