import {
  MAX_FUTURE_SKEW_MS,
  MAX_PAYLOAD_BYTES,
  commandAckSchema,
  deviceStatusSchema,
  eventSchemas,
  readingSchemas,
  type CommandAck,
  type DeviceKind,
  type DeviceEvent,
  type Reading,
  type TopicChannel,
} from '@app/contracts';
import type { z } from 'zod';

export type RejectReason =
  | 'oversize'
  | 'invalid_json'
  | 'schema'
  | 'future_timestamp'
  | 'too_many_readings'
  | 'expired_timestamp'
  | 'unknown_device'
  | 'disabled_device'
  | 'not_accepted'
  | 'acl_denied'
  | 'rate_limited';

export interface Rejection {
  reason: RejectReason;
  detail: string;
}

export type ParsedMessage =
  | { channel: 'telemetry'; readings: Array<{ reading: Reading; ts: number }>; rejections: Rejection[] }
  | { channel: 'events'; event?: { event: DeviceEvent; ts: number }; rejections: Rejection[] }
  | { channel: 'status'; online?: boolean; rejections: Rejection[] }
  | { channel: 'commands/ack'; ack?: CommandAck; rejections: Rejection[] };

/** Readings a backfill message may carry unless the caller says otherwise (BACKFILL_MAX_READINGS). */
export const DEFAULT_MAX_READINGS = 500;

/**
 * Validates one device message against the contract: size, JSON, schema of the device's kind,
 * and timestamps no more than 5 minutes ahead nor older than `maxAgeMs` (the raw retention, past
 * which InfluxDB drops a point silently). Readings of a backfill array are judged one by one, so
 * one bad element does not cost the good ones; an empty array is refused, so that every message
 * is either stored or dead-lettered, and an array of more than `maxReadings` is refused whole
 * (issue 8: a 64 KiB array of tiny readings must not cost thousands of writes).
 */
export function parseDeviceMessage(
  kind: DeviceKind,
  channel: TopicChannel,
  payload: Buffer,
  receivedAt: number,
  { maxReadings = DEFAULT_MAX_READINGS, maxAgeMs = Infinity }: { maxReadings?: number; maxAgeMs?: number } = {},
): ParsedMessage {
  const rejections: Rejection[] = [];
  const empty = (): ParsedMessage =>
    channel === 'telemetry' ? { channel, readings: [], rejections } : ({ channel, rejections } as ParsedMessage);
  if (channel === 'commands') {
    rejections.push({ reason: 'not_accepted', detail: 'devices do not publish to their commands topic' });
    return { channel: 'commands/ack', rejections };
  }
  if (payload.length > MAX_PAYLOAD_BYTES) {
    rejections.push({ reason: 'oversize', detail: `${payload.length} bytes, limit ${MAX_PAYLOAD_BYTES}` });
    return empty();
  }
  let body: unknown;
  const text = payload.toString('utf8');
  try {
    body = JSON.parse(text);
  } catch (error) {
    if (channel === 'status' && (text === 'online' || text === 'offline')) body = text;
    else {
      rejections.push({ reason: 'invalid_json', detail: (error as Error).message });
      return empty();
    }
  }

  const checkTs = (ts: number | undefined): number | undefined => {
    if (ts === undefined) return receivedAt;
    if (ts > receivedAt + MAX_FUTURE_SKEW_MS) {
      rejections.push({ reason: 'future_timestamp', detail: `ts ${new Date(ts).toISOString()} is more than 5 minutes ahead` });
      return undefined;
    }
    if (ts < receivedAt - maxAgeMs) {
      rejections.push({ reason: 'expired_timestamp', detail: `ts ${ts} is older than the ${Math.round(maxAgeMs / 86_400_000)}-day raw retention` });
      return undefined;
    }
    return ts;
  };

  switch (channel) {
    case 'telemetry': {
      const schema = readingSchemas[kind] as z.ZodType<Reading>;
      const items = Array.isArray(body) ? body : [body];
      if (items.length > maxReadings) {
        rejections.push({ reason: 'too_many_readings', detail: `${items.length} readings in one message, limit ${maxReadings}` });
        return empty();
      }
      if (items.length === 0) rejections.push({ reason: 'schema', detail: 'empty backfill array' });
      const readings: Array<{ reading: Reading; ts: number }> = [];
      items.forEach((item, index) => {
        const result = schema.safeParse(item);
        if (!result.success) {
          rejections.push({ reason: 'schema', detail: describeIssues(result.error, items.length > 1 ? index : undefined) });
          return;
        }
        const ts = checkTs(result.data.ts);
        if (ts !== undefined) readings.push({ reading: result.data, ts });
      });
      return { channel, readings, rejections };
    }
    case 'events': {
      const result = (eventSchemas[kind] as z.ZodType<DeviceEvent>).safeParse(body);
      if (!result.success) {
        rejections.push({ reason: 'schema', detail: describeIssues(result.error) });
        return { channel, rejections };
      }
      const ts = checkTs(result.data.ts);
      return ts === undefined ? { channel, rejections } : { channel, event: { event: result.data, ts }, rejections };
    }
    case 'status': {
      const result = deviceStatusSchema.safeParse(body);
      if (!result.success) {
        rejections.push({ reason: 'schema', detail: 'status must be "online" or "offline"' });
        return { channel, rejections };
      }
      return { channel, online: result.data === 'online', rejections };
    }
    case 'commands/ack': {
      const result = commandAckSchema.safeParse(body);
      if (!result.success) {
        rejections.push({ reason: 'schema', detail: describeIssues(result.error) });
        return { channel, rejections };
      }
      return { channel, ack: result.data, rejections };
    }
  }
}

function describeIssues(error: z.ZodError, index?: number): string {
  const where = index === undefined ? '' : `[${index}]`;
  return error.issues
    .slice(0, 5)
    .map((i) => `${where}${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * What a telemetry message costs against the device's publish rate limit: one per reading. Only
 * a payload that starts as an array is parsed here (a backfill, rare); anything unparsable costs
 * one and is judged by parseDeviceMessage.
 */
export function readingCount(payload: Buffer): number {
  const first = payload.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
  if (first !== 0x5b /* [ */ || payload.length > MAX_PAYLOAD_BYTES) return 1;
  try {
    const body: unknown = JSON.parse(payload.toString('utf8'));
    return Array.isArray(body) ? Math.max(1, body.length) : 1;
  } catch {
    return 1;
  }
}
