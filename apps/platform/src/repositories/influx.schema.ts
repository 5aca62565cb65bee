import { FieldType, type IPoint, type ISchemaOptions } from 'influx';

/**
 * InfluxDB layout of contract §3: measurements elevator, fire and gate, tagged community_id and
 * device_id (fire also subtype, gate also lane). Reading fields keep their contract names; fire
 * flags become separate boolean fields. Device events land in the same measurement with an
 * `event` field naming the type and `active` saying whether it was raised or cleared.
 */
const eventFields = { event: FieldType.STRING, active: FieldType.BOOLEAN };

export const influxSchemas: ISchemaOptions[] = [
  {
    measurement: 'elevator',
    tags: ['community_id', 'device_id'],
    fields: {
      mode: FieldType.STRING,
      direction: FieldType.STRING,
      floor: FieldType.INTEGER,
      atLevel: FieldType.BOOLEAN,
      door: FieldType.STRING,
      speed: FieldType.FLOAT,
      occupied: FieldType.BOOLEAN,
      power: FieldType.STRING,
      safetyCircuit: FieldType.STRING,
      ...eventFields,
    },
  },
  {
    measurement: 'fire',
    tags: ['community_id', 'device_id', 'subtype'],
    fields: {
      value: FieldType.FLOAT,
      fire: FieldType.BOOLEAN,
      fault: FieldType.BOOLEAN,
      supervisory: FieldType.BOOLEAN,
      disabled: FieldType.BOOLEAN,
      started: FieldType.BOOLEAN,
      feedback: FieldType.BOOLEAN,
      powerFault: FieldType.BOOLEAN,
      zone: FieldType.STRING,
      ...eventFields,
    },
  },
  {
    measurement: 'gate',
    tags: ['community_id', 'device_id', 'lane'],
    fields: {
      barrier: FieldType.STRING,
      plate: FieldType.STRING,
      direction: FieldType.STRING,
      confidence: FieldType.FLOAT,
      ...eventFields,
    },
  },
];

/**
 * Rollups kept longer than raw data: 1-minute and 1-hour aggregates of the numeric fields,
 * filled by continuous queries. Field names keep the raw names (mean) plus _min/_max.
 */
export const rollupPolicies = [
  { name: 'rollup_1m', duration: '400d', every: '1m' },
  { name: 'rollup_1h', duration: 'INF', every: '1h' },
] as const;

export const rollupSelects: Record<'elevator' | 'fire' | 'gate', { fromRaw: string; fromRollup: string }> = {
  elevator: {
    fromRaw: 'mean("speed") AS "speed", max("speed") AS "speed_max", last("floor") AS "floor", count("mode") AS "readings"',
    fromRollup: 'mean("speed") AS "speed", max("speed_max") AS "speed_max", last("floor") AS "floor", sum("readings") AS "readings"',
  },
  fire: {
    fromRaw: 'mean("value") AS "value", min("value") AS "value_min", max("value") AS "value_max", count("value") AS "readings"',
    fromRollup:
      'mean("value") AS "value", min("value_min") AS "value_min", max("value_max") AS "value_max", sum("readings") AS "readings"',
  },
  gate: {
    fromRaw: 'count("barrier") AS "readings", count("plate") AS "vehicles"',
    fromRollup: 'sum("readings") AS "readings", sum("vehicles") AS "vehicles"',
  },
};

/** Aggregates a telemetry history query asks of the raw data, per measurement. */
export const historySelects: Record<'elevator' | 'fire' | 'gate', string> = {
  elevator:
    'mean("speed") AS "speed", max("speed") AS "speed_max", last("floor") AS "floor", last("direction") AS "direction", last("door") AS "door", last("mode") AS "mode", last("occupied") AS "occupied", last("power") AS "power"',
  fire: 'mean("value") AS "value", min("value") AS "value_min", max("value") AS "value_max", last("fire") AS "fire", last("fault") AS "fault", last("supervisory") AS "supervisory"',
  gate: 'last("barrier") AS "barrier", count("plate") AS "vehicles", last("plate") AS "plate"',
};

const escapeKey = (s: string) => (/[,= ]/.test(s) ? s.replace(/[,= ]/g, '\\$&') : s);
const escapeMeasurement = (s: string) => (/[, ]/.test(s) ? s.replace(/[, ]/g, '\\$&') : s);

/** Each measurement's fields in name order with their types, for writing lines without the client's per-point work. */
const lineFields = new Map(
  influxSchemas.map((s) => [s.measurement, Object.keys(s.fields).sort().map((name) => [name, escapeKey(name), s.fields[name]] as const)]),
);

/**
 * The InfluxDB line protocol of `points`, as the `influx` client's writePoints writes it with
 * the schemas above (fields in name order, integers with an `i`, booleans T/F, strings quoted),
 * built in one pass: the client's parsePoint and escapers were a large share of the shipper's CPU.
 * A field outside the schema is an error, as it is in the client.
 */
export function lineProtocol(points: IPoint[]): string {
  let body = '';
  for (const point of points) {
    const fields = lineFields.get(point.measurement!);
    if (!fields) throw new Error(`no InfluxDB schema for measurement ${point.measurement}`);
    let line = escapeMeasurement(point.measurement!);
    const tags = point.tags ?? {};
    for (const tag in tags) line += ',' + escapeKey(tag) + '=' + escapeKey(tags[tag]);
    const values = (point.fields ?? {}) as Record<string, unknown>;
    let written = 0;
    let seen = 0;
    for (const [name, key, type] of fields) {
      const value = values[name];
      if (value === undefined && !(name in values)) continue;
      seen++;
      if (value === null || value === undefined) continue;
      line += (written++ === 0 ? ' ' : ',') + key + '=' + fieldValue(type, value, name);
    }
    if (seen !== Object.keys(values).length) throw new Error(`fields outside the ${point.measurement} schema: ${Object.keys(values).join(', ')}`);
    if (point.timestamp !== undefined) line += ' ' + String(point.timestamp);
    body += (body.length > 0 ? '\n' : '') + line;
  }
  return body;
}

function fieldValue(type: FieldType, value: unknown, name: string): string {
  switch (type) {
    case FieldType.STRING:
      return '"' + String(value).replace(/["\\]/g, '\\$&') + '"';
    case FieldType.INTEGER:
    case FieldType.FLOAT:
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`field ${name}: expected a number, got ${String(value)}`);
      return type === FieldType.INTEGER ? String(Math.floor(value)) + 'i' : String(value);
    case FieldType.BOOLEAN:
      if (typeof value !== 'boolean') throw new Error(`field ${name}: expected a boolean, got ${typeof value}`);
      return value ? 'T' : 'F';
  }
}

