import { type Kysely, sql } from 'kysely';

/**
 * Time-shared parking: slots, share windows, bookings, vehicles, sessions, overstays and the
 * block list. A fire-lane slot can never be shared or booked: `fire_lane` travels into windows
 * and bookings through a composite foreign key (ON UPDATE CASCADE) and a CHECK refuses it there,
 * so marking a slot that has windows or bookings as fire lane fails too. Two live bookings of
 * one slot never overlap (exclusion constraint over slot and period).
 */
const statements = [
  `CREATE TABLE parking_slots (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      code text NOT NULL,
      location text NOT NULL,
      ownership text NOT NULL CHECK (ownership IN ('private', 'common')),
      owner_id uuid REFERENCES users (id) ON DELETE RESTRICT,
      fire_lane boolean NOT NULL DEFAULT false,
      shareable boolean NOT NULL DEFAULT true,
      withdrawn_from timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (community_id, code),
      UNIQUE (id, fire_lane),
      CHECK ((ownership = 'private') = (owner_id IS NOT NULL)),
      CHECK (NOT (fire_lane AND shareable))
    )`,
  `CREATE INDEX parking_slots_owner_idx ON parking_slots (owner_id)`,
  `CREATE TABLE parking_share_windows (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      slot_id uuid NOT NULL,
      slot_fire_lane boolean NOT NULL DEFAULT false CHECK (NOT slot_fire_lane),
      kind text NOT NULL CHECK (kind IN ('weekly', 'date', 'exception')),
      weekday smallint CHECK (weekday BETWEEN 0 AND 6),
      on_date date,
      start_minute smallint NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
      end_minute smallint NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (slot_id, slot_fire_lane) REFERENCES parking_slots (id, fire_lane) ON UPDATE CASCADE ON DELETE CASCADE,
      CHECK ((kind = 'weekly') = (weekday IS NOT NULL)),
      CHECK ((kind = 'weekly') = (on_date IS NULL))
    )`,
  `CREATE INDEX parking_share_windows_slot_idx ON parking_share_windows (slot_id)`,
  `CREATE TABLE parking_bookings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      slot_id uuid NOT NULL,
      slot_fire_lane boolean NOT NULL DEFAULT false CHECK (NOT slot_fire_lane),
      user_id uuid NOT NULL REFERENCES users (id),
      plate text NOT NULL,
      vehicle_class text NOT NULL DEFAULT 'small' CHECK (vehicle_class IN ('small', 'large')),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      arrival_grace_min integer NOT NULL CHECK (arrival_grace_min >= 0),
      departure_grace_min integer NOT NULL CHECK (departure_grace_min >= 0),
      blocked_until timestamptz NOT NULL,
      period tstzrange GENERATED ALWAYS AS (tstzrange(starts_at, blocked_until, '[)')) STORED,
      status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'active', 'completed', 'cancelled', 'no_show')),
      late_cancel boolean NOT NULL DEFAULT false,
      cancelled_at timestamptz,
      cancel_reason text,
      overstay_notified_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (slot_id, slot_fire_lane) REFERENCES parking_slots (id, fire_lane) ON UPDATE CASCADE ON DELETE RESTRICT,
      CHECK (ends_at > starts_at),
      CHECK (blocked_until >= ends_at),
      CONSTRAINT parking_bookings_no_overlap EXCLUDE USING gist (slot_id WITH =, period WITH &&) WHERE (status IN ('booked', 'active'))
    )`,
  `CREATE INDEX parking_bookings_user_idx ON parking_bookings (user_id, starts_at)`,
  `CREATE INDEX parking_bookings_live_idx ON parking_bookings (community_id, plate) WHERE status IN ('booked', 'active')`,
  `CREATE TABLE parking_vehicles (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      plate text NOT NULL,
      vehicle_class text NOT NULL DEFAULT 'small' CHECK (vehicle_class IN ('small', 'large')),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (community_id, plate)
    )`,
  `CREATE TABLE parking_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      slot_id uuid REFERENCES parking_slots (id) ON DELETE SET NULL,
      booking_id uuid REFERENCES parking_bookings (id) ON DELETE SET NULL,
      plate text NOT NULL,
      plate_kind text NOT NULL,
      vehicle_class text NOT NULL DEFAULT 'small' CHECK (vehicle_class IN ('small', 'large')),
      energy text CHECK (energy IN ('BEV', 'NON_BEV')),
      kind text NOT NULL CHECK (kind IN ('booking', 'resident', 'visitor', 'emergency')),
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
      entry_at timestamptz NOT NULL,
      exit_at timestamptz,
      entry_lane text,
      exit_lane text,
      entry_device_id text,
      exit_device_id text,
      entry_reason text NOT NULL,
      overstay_minutes integer NOT NULL DEFAULT 0,
      CHECK ((status = 'closed') = (exit_at IS NOT NULL))
    )`,
  `CREATE UNIQUE INDEX parking_sessions_open_plate_idx ON parking_sessions (community_id, plate) WHERE status = 'open'`,
  `CREATE INDEX parking_sessions_community_idx ON parking_sessions (community_id, entry_at)`,
  `CREATE TABLE parking_overstays (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      booking_id uuid NOT NULL UNIQUE REFERENCES parking_bookings (id) ON DELETE CASCADE,
      session_id uuid REFERENCES parking_sessions (id) ON DELETE SET NULL,
      plate text NOT NULL,
      due_at timestamptz NOT NULL,
      exit_at timestamptz,
      minutes integer,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE INDEX parking_overstays_plate_idx ON parking_overstays (community_id, plate)`,
  `CREATE TABLE parking_blocked_plates (
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      plate text NOT NULL,
      reason text NOT NULL,
      blocked_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (community_id, plate)
    )`,
  `CREATE TABLE parking_gate_events (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL,
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      device_id text NOT NULL,
      lane text NOT NULL,
      direction text NOT NULL,
      raw_plate text NOT NULL,
      plate text NOT NULL,
      plate_kind text NOT NULL,
      cmd text NOT NULL,
      reason text NOT NULL,
      actor_id uuid
    )`,
  `CREATE INDEX parking_gate_events_idx ON parking_gate_events (community_id, at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE parking_gate_events, parking_blocked_plates, parking_overstays, parking_sessions, parking_vehicles, parking_bookings, parking_share_windows, parking_slots`.execute(db);
}
