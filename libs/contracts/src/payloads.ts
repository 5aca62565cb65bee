import { z } from 'zod';

/** Milliseconds since the epoch, UTC; optional on every reading and event (contract §2). */
const timestamp = z.number().int().nonnegative().optional();

export const elevatorReadingSchema = z.object({
  ts: timestamp,
  mode: z.enum(['normal', 'inspection', 'maintenance', 'fire_recall', 'out_of_service']),
  direction: z.enum(['stop', 'up', 'down']),
  floor: z.number().int(),
  atLevel: z.boolean(),
  door: z.enum(['closed', 'open', 'opening', 'closing']),
  speed: z.number().nonnegative(),
  occupied: z.boolean(),
  power: z.enum(['mains', 'battery']),
  safetyCircuit: z.enum(['closed', 'open']),
});
export type ElevatorReading = z.infer<typeof elevatorReadingSchema>;

/** Elevator event types with their GB/T 24476 codes where the standard numbers them. */
export const elevatorEventCodes = {
  top_overtravel: 1,
  bottom_overtravel: 2,
  overspeed: 3,
  door_open_while_running: 4,
  moving_with_door_open: 5,
  stopped_outside_door_zone: 6,
  trapped_at_level: 7,
  trapped_not_level: 8,
  power_failure: 9,
  safety_circuit_open: 10,
  door_open_fault: 11,
  door_close_fault: 12,
  door_lock_circuit_open: 13,
  landing_button_stuck: 14,
  speed_abnormal: 15,
  emergency_call: 21,
  ebike_in_car: null,
} as const;
export type ElevatorEventType = keyof typeof elevatorEventCodes;
export const elevatorEventTypes = Object.keys(elevatorEventCodes) as [ElevatorEventType, ...ElevatorEventType[]];

export const elevatorEventSchema = z.object({
  ts: timestamp,
  type: z.enum(elevatorEventTypes),
  active: z.boolean(),
});
export type ElevatorEvent = z.infer<typeof elevatorEventSchema>;

export const fireFlagNames = ['fire', 'fault', 'supervisory', 'disabled', 'started', 'feedback', 'powerFault'] as const;
export type FireFlag = (typeof fireFlagNames)[number];

export const fireFlagsSchema = z
  .object({
    fire: z.boolean(),
    fault: z.boolean(),
    supervisory: z.boolean(),
    disabled: z.boolean(),
    started: z.boolean(),
    feedback: z.boolean(),
    powerFault: z.boolean(),
  })
  .partial()
  .strict();

export const fireReadingSchema = z.object({
  ts: timestamp,
  value: z.number().finite().optional(),
  flags: fireFlagsSchema.optional(),
});
export type FireReading = z.infer<typeof fireReadingSchema>;

export const fireEventSchema = z.object({
  ts: timestamp,
  type: z.enum(fireFlagNames),
  active: z.boolean(),
  zone: z.string().max(128).optional(),
});
export type FireEvent = z.infer<typeof fireEventSchema>;

export const gateReadingSchema = z.object({
  ts: timestamp,
  barrier: z.enum(['open', 'closed', 'fault']),
});
export type GateReading = z.infer<typeof gateReadingSchema>;

export const vehicleEventSchema = z.object({
  ts: timestamp,
  type: z.literal('vehicle'),
  // Becomes an InfluxDB tag: line protocol cannot carry a trailing backslash or a line break.
  lane: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^\n\r]*[^\\\n\r]$/, 'lane must not end with a backslash or contain line breaks'),
  direction: z.enum(['in', 'out']),
  /** Never rejected for its format: unreadable plates are recorded and routed to a person. */
  plate: z.string().max(32),
  confidence: z.number().min(0).max(1).optional(),
});
export type VehicleEvent = z.infer<typeof vehicleEventSchema>;

export const deviceStatusSchema = z.enum(['online', 'offline']);

export const commandSchema = z.looseObject({ id: z.string().min(1).max(128), cmd: z.string().min(1).max(64) });
export type DeviceCommand = z.infer<typeof commandSchema>;

export const commandAckSchema = z.object({
  id: z.string().min(1).max(128),
  ok: z.boolean(),
  error: z.string().max(1024).optional(),
});
export type CommandAck = z.infer<typeof commandAckSchema>;

export const gateCommandSchema = z.object({
  id: z.string(),
  cmd: z.enum(['open', 'hold']),
  lane: z.string(),
  reason: z.string(),
});
export type GateCommand = z.infer<typeof gateCommandSchema>;

export const readingSchemas = {
  elevator: elevatorReadingSchema,
  fire: fireReadingSchema,
  gate: gateReadingSchema,
} as const;

export const eventSchemas = {
  elevator: elevatorEventSchema,
  fire: fireEventSchema,
  gate: vehicleEventSchema,
} as const;

export type Reading = ElevatorReading | FireReading | GateReading;
export type DeviceEvent = ElevatorEvent | FireEvent | VehicleEvent;
