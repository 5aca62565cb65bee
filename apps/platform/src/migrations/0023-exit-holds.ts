import { type Kysely, sql } from 'kysely';

/**
 * Pay before leaving (issue 13 §7): an exit lane kept closed for a stay's unpaid bill. One row per
 * bill; `released_at` is set once, by the first of: the bill paid (the platform sends the lane
 * 'open'), staff opening the lane by hand, a fire alarm's free flow. Setting it is the claim that
 * makes the 'open' go out once across processes and restarts.
 */
const statements = [
  `CREATE TABLE parking_exit_holds (
      bill_id uuid PRIMARY KEY REFERENCES parking_bills (id) ON DELETE CASCADE,
      session_id uuid NOT NULL UNIQUE,
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      plate text NOT NULL,
      device_id text NOT NULL,
      lane text NOT NULL,
      held_at timestamptz NOT NULL,
      released_at timestamptz,
      released_by text CHECK (released_by IN ('paid', 'manual', 'fire')),
      release_command_id text,
      CHECK ((released_at IS NULL) = (released_by IS NULL))
    )`,
  `CREATE INDEX parking_exit_holds_waiting_idx ON parking_exit_holds (community_id) WHERE released_at IS NULL`,
  `CREATE INDEX parking_exit_holds_plate_idx ON parking_exit_holds (community_id, plate, held_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE parking_exit_holds`.execute(db);
}
