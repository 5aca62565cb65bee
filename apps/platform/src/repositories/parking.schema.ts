import type { ColumnType, Generated } from 'kysely';

/** Row types of the parking tables (migrations/0004-parking.ts). Billing reads these. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface ParkingSlotTable {
  id: Generated<string>;
  community_id: string;
  code: string;
  location: string;
  ownership: 'private' | 'common';
  owner_id: string | null;
  fire_lane: Generated<boolean>;
  shareable: Generated<boolean>;
  withdrawn_from: Timestamp | null;
  created_at: Generated<Date>;
}

export interface ParkingShareWindowTable {
  id: Generated<string>;
  slot_id: string;
  slot_fire_lane: Generated<boolean>;
  kind: 'weekly' | 'date' | 'exception';
  weekday: number | null;
  /** date, read back as YYYY-MM-DD text (see ParkingRepository). */
  on_date: string | null;
  start_minute: number;
  end_minute: number;
  created_at: Generated<Date>;
}

export type BookingStatus = 'booked' | 'active' | 'completed' | 'cancelled' | 'no_show';

export interface ParkingBookingTable {
  id: Generated<string>;
  community_id: string;
  slot_id: string;
  slot_fire_lane: Generated<boolean>;
  user_id: string;
  plate: string;
  vehicle_class: Generated<'small' | 'large'>;
  starts_at: Timestamp;
  ends_at: Timestamp;
  arrival_grace_min: number;
  departure_grace_min: number;
  blocked_until: Timestamp;
  period: ColumnType<string, never, never>;
  status: Generated<BookingStatus>;
  late_cancel: Generated<boolean>;
  cancelled_at: Timestamp | null;
  cancel_reason: string | null;
  overstay_notified_at: Timestamp | null;
  created_at: Generated<Date>;
}

export interface ParkingVehicleTable {
  id: Generated<string>;
  community_id: string;
  user_id: string;
  plate: string;
  vehicle_class: Generated<'small' | 'large'>;
  created_at: Generated<Date>;
  /** migrations/0008: the unit the plate belongs to (null: registered by staff or before units). */
  unit_id: string | null;
  /** 'pending' plates (over the unit's quota) wait for staff and do not open the gate as residents. */
  status: Generated<'approved' | 'pending'>;
  decided_by: string | null;
  decided_at: Timestamp | null;
}

export interface ParkingSessionTable {
  id: Generated<string>;
  community_id: string;
  slot_id: string | null;
  booking_id: string | null;
  plate: string;
  plate_kind: string;
  vehicle_class: Generated<'small' | 'large'>;
  energy: 'BEV' | 'NON_BEV' | null;
  kind: 'booking' | 'resident' | 'visitor' | 'emergency';
  status: Generated<'open' | 'closed'>;
  entry_at: Timestamp;
  exit_at: Timestamp | null;
  entry_lane: string | null;
  exit_lane: string | null;
  entry_device_id: string | null;
  exit_device_id: string | null;
  entry_reason: string;
  overstay_minutes: Generated<number>;
}

export interface ParkingOverstayTable {
  id: Generated<string>;
  community_id: string;
  booking_id: string;
  session_id: string | null;
  plate: string;
  due_at: Timestamp;
  exit_at: Timestamp | null;
  minutes: number | null;
  created_at: Generated<Date>;
}

export interface ParkingBlockedPlateTable {
  community_id: string;
  plate: string;
  reason: string;
  blocked_at: Generated<Date>;
}

export interface ParkingGateEventTable {
  id: Generated<string>;
  at: Timestamp;
  community_id: string;
  device_id: string;
  lane: string;
  direction: string;
  raw_plate: string;
  plate: string;
  plate_kind: string;
  cmd: string;
  reason: string;
  actor_id: string | null;
}

/** Migration 0019: a drawn lottery for added slots, never changed. */
export interface SlotLotteryTable {
  id: Generated<string>;
  community_id: string;
  title: string;
  seed: string;
  entrants: ColumnType<string[], string, never>;
  slots: ColumnType<string[], string, never>;
  result: ColumnType<unknown, string, never>;
  decision_vote_id: string | null;
  drawn_by: string | null;
  drawn_at: Date;
}

/** An exit lane kept closed for an unpaid bill (migration 0023). */
export interface ParkingExitHoldTable {
  bill_id: string;
  session_id: string;
  community_id: string;
  plate: string;
  device_id: string;
  lane: string;
  held_at: Timestamp;
  released_at: Timestamp | null;
  released_by: 'paid' | 'manual' | 'fire' | null;
  release_command_id: string | null;
}

export interface ParkingTables {
  slot_lotteries: SlotLotteryTable;
  parking_slots: ParkingSlotTable;
  parking_share_windows: ParkingShareWindowTable;
  parking_bookings: ParkingBookingTable;
  parking_vehicles: ParkingVehicleTable;
  parking_sessions: ParkingSessionTable;
  parking_overstays: ParkingOverstayTable;
  parking_blocked_plates: ParkingBlockedPlateTable;
  parking_gate_events: ParkingGateEventTable;
  parking_exit_holds: ParkingExitHoldTable;
}
