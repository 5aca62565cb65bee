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
 * two readings of a device in the same millisecond would overwrite each other; the six
 * sub-millisecond digits keep them apart. They come from the message itself (a hash of its bytes
 * and the reading's place in it), not from a counter: a message resent by its device (no PUBACK
 * before a crash) or replayed from the write-ahead log lands on the very same point and
 * overwrites it instead of doubling. Two different messages of one device stamped with the same
 * millisecond collide once in a million.
 */
export function pointTimestamp(ms: number, message: Buffer, index: number): string {
  let hash = 0x811c9dc5 ^ index; // FNV-1a, 32 bits
  for (let i = 0; i < message.length; i++) hash = Math.imul(hash ^ message[i], 0x01000193);
  return `${ms}${String((hash >>> 0) % 1_000_000).padStart(6, '0')}`;
}
