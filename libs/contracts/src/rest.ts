import { z } from 'zod';
import { deviceIdSchema, deviceKindSchema, fireSubtypeSchema } from './device';

export const loginRequestSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
/** `accessToken` (contract §4), plus the refresh token that renews it before `expiresIn` seconds run out. */
export const loginResponseSchema = z.object({
  accessToken: z.string(),
  expiresIn: z.number().int(),
  refreshToken: z.string(),
  refreshExpiresIn: z.number().int(),
});
export const refreshRequestSchema = z.object({ refreshToken: z.string().min(1).max(256) });
/** Passwords people choose: the length here, the strength (domain/password-policy.ts) on the server. */
const newPasswordSchema = z.string().min(10, 'at least 10 characters').max(128);
export const changePasswordRequestSchema = z.object({ currentPassword: z.string().min(1).max(256), newPassword: newPasswordSchema });
export const setPasswordRequestSchema = z.object({ password: newPasswordSchema });

export const roles = [
  'platform_admin',
  'property_staff',
  'maintenance_staff',
  'owner',
  'owners_committee',
  'residents_committee',
  'street_officer',
  'district_authority',
] as const;
/** The roles an administrator gives (POST /users). */
export const roleSchema = z.enum(roles);
/**
 * Every role a session can carry: the roles above and `visitor`, someone from outside the estate
 * who proved a mobile number with an SMS code (issue 13 §7). No administrator creates a visitor.
 */
export const sessionRoles = [...roles, 'visitor'] as const;
export const sessionRoleSchema = z.enum(sessionRoles);
export type Role = z.infer<typeof sessionRoleSchema>;

/** A user's reach: named communities, or every community of a street or a district. */
export const scopeSchema = z.discriminatedUnion('level', [
  z.object({ level: z.literal('platform') }),
  z.object({ level: z.literal('community'), communityIds: z.array(z.uuid()).min(1) }),
  z.object({ level: z.literal('street'), street: z.string().min(1).max(64), district: z.string().min(1).max(64) }),
  z.object({ level: z.literal('district'), district: z.string().min(1).max(64) }),
]);
export type Scope = z.infer<typeof scopeSchema>;

export const createUserRequestSchema = z.object({
  username: z.string().regex(/^[A-Za-z0-9_.@-]{3,64}$/),
  password: newPasswordSchema,
  displayName: z.string().max(64).optional(),
  role: roleSchema,
  scope: scopeSchema,
});

/** An administrator's change of a user; a new role or scope, or disabling, ends the user's sessions. */
export const updateUserRequestSchema = z
  .object({
    role: roleSchema.optional(),
    scope: scopeSchema.optional(),
    displayName: z.string().max(64).nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .refine((u) => Object.values(u).some((v) => v !== undefined), { message: 'nothing to change' });
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

/** Link an owner or tenant to a unit (property staff). */
export const unitOccupantRequestSchema = z.object({ userId: z.uuid(), relation: z.enum(['owner', 'tenant']).default('owner') });

const unitSchema = z.object({
  number: z.string().min(1).max(32),
  floorArea: z
    .string()
    .regex(/^\d{1,6}(\.\d{1,2})?$/, 'floor area in square metres, up to 2 decimals, as a string')
    .describe('square metres, exact decimal string'),
});
const buildingSchema = z.object({
  name: z.string().min(1).max(64),
  floors: z.number().int().min(1).max(200).optional(),
  units: z.array(unitSchema).max(2000).default([]),
});

export const createCommunityRequestSchema = z.object({
  name: z.string().min(1).max(128),
  district: z.string().min(1).max(64),
  street: z.string().min(1).max(64),
  address: z.string().max(256).optional(),
  buildings: z.array(buildingSchema).max(500).default([]),
});
export type CreateCommunityRequest = z.infer<typeof createCommunityRequestSchema>;

export const createDeviceRequestSchema = z
  .object({
    id: deviceIdSchema.optional(),
    communityId: z.uuid(),
    kind: deviceKindSchema,
    subtype: fireSubtypeSchema.optional(),
    name: z.string().min(1).max(128),
    location: z.string().max(256).optional(),
    buildingId: z.uuid().optional(),
  })
  .refine((d) => (d.kind === 'fire') === (d.subtype !== undefined), {
    message: 'subtype is required for fire devices and not allowed for others',
    path: ['subtype'],
  });
export type CreateDeviceRequest = z.infer<typeof createDeviceRequestSchema>;

export const deviceResponseSchema = z.object({
  id: deviceIdSchema,
  communityId: z.uuid(),
  kind: deviceKindSchema,
  subtype: fireSubtypeSchema.nullable(),
  name: z.string(),
  location: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: z.string(),
});
export type DeviceResponse = z.infer<typeof deviceResponseSchema>;

/** Returned once, on provisioning and on rotation: the plain secret is never stored. */
export const deviceCredentialsResponseSchema = deviceResponseSchema.extend({ secret: z.string() });
export type DeviceCredentialsResponse = z.infer<typeof deviceCredentialsResponseSchema>;

export const telemetryQuerySchema = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  every: z
    .string()
    .regex(/^\d+(s|m|h|d)$/, 'aggregation window such as 30s, 1m, 1h, 1d')
    .optional(),
  limit: z.coerce.number().int().min(1).max(10000).default(1000),
});
export type TelemetryQuery = z.infer<typeof telemetryQuerySchema>;

/** The caller (GET /api/v1/auth/me). */
export const authUserSchema = z.object({ id: z.uuid(), username: z.string(), displayName: z.string().nullish(), role: sessionRoleSchema, scope: scopeSchema });
/** A user as administrators see it (never its password hash). */
export const userResponseSchema = authUserSchema.extend({ disabled: z.boolean(), createdAt: z.string(), passwordChangedAt: z.string().nullable() });
export const passwordSetResponseSchema = z.object({ id: z.uuid(), passwordChanged: z.boolean() });

/** POST/GET /api/v1/communities: `deviceCount` in lists. */
export const communityResponseSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  district: z.string(),
  street: z.string(),
  address: z.string().nullable(),
  createdAt: z.string(),
  deviceCount: z.number().int().optional(),
});
/** POST /api/v1/communities and GET /api/v1/communities/:id: with its buildings and units. */
export const communityDetailResponseSchema = communityResponseSchema.extend({
  buildings: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      floors: z.number().int().nullable(),
      units: z.array(z.object({ id: z.uuid(), number: z.string(), floorArea: z.string().describe('square metres, exact decimal string') })),
    }),
  ),
});
const unitRelationSchema = z.enum(['owner', 'tenant']);
/** GET /api/v1/units/mine */
export const myUnitResponseSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  buildingId: z.uuid(),
  building: z.string(),
  number: z.string(),
  floorArea: z.string(),
  relation: unitRelationSchema,
  status: z.enum(['pending', 'verified', 'refused']),
  /** Votes for the unit (one verified owner of a co-owned unit). */
  representative: z.boolean(),
});
/** The occupants of a unit (after a link or unlink too). */
export const unitOccupantResponseSchema = z.object({
  userId: z.uuid(),
  username: z.string(),
  displayName: z.string().nullable(),
  relation: unitRelationSchema,
  since: z.string(),
  status: z.enum(['pending', 'verified', 'refused']),
  representative: z.boolean(),
  documentName: z.string().nullable(),
});

/** A device's live state (GET /api/v1/communities/:id/live rows, GET /api/v1/devices/:id/live). */
export const deviceLiveResponseSchema = z.object({
  deviceId: deviceIdSchema,
  communityId: z.uuid(),
  kind: deviceKindSchema,
  subtype: z.string().nullable().describe('fire devices: their subtype'),
  name: z.string(),
  location: z.string().nullable(),
  disabled: z.boolean(),
  online: z.boolean(),
  state: z.record(z.string(), z.unknown()).nullable().describe('the merged state fields of the device, null before its first report'),
  ts: z.number().nullable().describe('ms since the epoch of the last state'),
  lastSeen: z.number().nullable(),
});
/** GET /api/v1/devices/:id/telemetry: InfluxDB points (raw or aggregated per `every`). */
export const telemetryHistoryResponseSchema = z.object({
  deviceId: deviceIdSchema,
  measurement: deviceKindSchema,
  from: z.string(),
  to: z.string(),
  every: z.string().nullable(),
  points: z.array(z.record(z.string(), z.unknown())),
});
/** GET /api/v1/dead-letters: rejected device messages, newest first. */
export const deadLetterSchema = z.object({
  ts: z.number(),
  deviceId: z.string().nullable(),
  topic: z.string(),
  reason: z.string(),
  detail: z.string().optional(),
  payloadPrefix: z.string(),
});
