import { z } from 'zod';

/** Device ids are part of MQTT topics, usernames and client ids (contract §2). */
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'device id must match [A-Za-z0-9_-]{1,64}');

export const deviceKinds = ['elevator', 'fire', 'gate'] as const;
export const deviceKindSchema = z.enum(deviceKinds);
export type DeviceKind = z.infer<typeof deviceKindSchema>;

export const fireSubtypes = [
  'controller',
  'hydrant_pressure',
  'sprinkler_pressure',
  'tank_level',
  'smoke_detector',
  'fire_door',
] as const;
export const fireSubtypeSchema = z.enum(fireSubtypes);
export type FireSubtype = z.infer<typeof fireSubtypeSchema>;

/** Fire subtypes whose readings carry a numeric `value`, with its unit. */
export const fireValueUnits: Partial<Record<FireSubtype, string>> = {
  hydrant_pressure: 'kPa',
  sprinkler_pressure: 'kPa',
  tank_level: 'm',
};
