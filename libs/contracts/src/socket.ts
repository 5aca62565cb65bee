import { z } from 'zod';
import type { AlarmsServerEvents } from './alarms';
import type { BillingServerEvents } from './billing';
import type { ComplaintsServerEvents } from './complaints';
import { deviceKindSchema } from './device';
import type { FundServerEvents } from './fund';
import type { FundAccountServerEvents } from './fund-accounts';
import type { ParkingServerEvents } from './parking';

/** Server → client socket.io events of contract §5. Each carries its communityId. */
export const deviceStateEventSchema = z.object({
  deviceId: z.string(),
  communityId: z.string(),
  kind: deviceKindSchema,
  state: z.record(z.string(), z.unknown()),
  ts: z.number(),
});
export type DeviceStateEvent = z.infer<typeof deviceStateEventSchema>;

export const deviceStatusEventSchema = z.object({
  deviceId: z.string(),
  communityId: z.string(),
  online: z.boolean(),
  ts: z.number(),
});
export type DeviceStatusEvent = z.infer<typeof deviceStatusEventSchema>;

/** Clients that connect with `auth: { batch: true }` get a community's changed device states in one event per interval. */
export interface DeviceStatesEvent {
  communityId: string;
  states: DeviceStateEvent[];
  ts: number;
}

/**
 * An alert about the platform itself, to administrators only (whatever community they watch):
 * the ingestion write-ahead log cannot be written (disk full, I/O error; publishers are held back)
 * and, later, that it is writable again.
 */
export const platformAlertSchema = z.object({
  kind: z.enum(['ingest_wal_unwritable', 'ingest_wal_recovered']),
  /** The error that made it unwritable, e.g. "ENOSPC: no space left on device". */
  error: z.string().optional(),
  /** When it happened, ms since the epoch. */
  at: z.number(),
});
export type PlatformAlert = z.infer<typeof platformAlertSchema>;

export interface ServerToClientEvents extends AlarmsServerEvents, FundServerEvents, FundAccountServerEvents, ParkingServerEvents, BillingServerEvents, ComplaintsServerEvents {
  'device.state': (event: DeviceStateEvent) => void;
  'device.states': (event: DeviceStatesEvent) => void;
  'device.status': (event: DeviceStatusEvent) => void;
  'platform.alert': (event: PlatformAlert) => void;
}

/** Client → server: narrow the live feed to one community the user may see. */
export const subscribeRequestSchema = z.object({ communityId: z.uuid() });
export type SubscribeRequest = z.infer<typeof subscribeRequestSchema>;
