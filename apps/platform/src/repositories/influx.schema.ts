import { FieldType, type ISchemaOptions } from 'influx';

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
