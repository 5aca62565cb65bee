import { type Kysely, sql } from 'kysely';

/**
 * Sessions that end and resident plates bound to units:
 * - users.token_version: every access token carries it; disabling a user, changing a password
 *   or a role/scope bumps it, so older tokens stop working at once;
 * - refresh_tokens: opaque tokens stored as a SHA-256 hash, rotated on every use; a family is
 *   one login, and presenting a rotated token again revokes the whole family;
 * - unit_occupants: owners (and tenants) linked to the units they hold (issue 13 builds on it);
 * - parking_vehicles.unit_id / status: a resident plate belongs to a unit; beyond the unit's
 *   quota it waits for staff approval ('pending') and does not open the gate meanwhile. Plates
 *   registered before this migration keep passing ('approved', no unit).
 */
const statements = [
  `ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0`,
  `ALTER TABLE users ADD COLUMN password_changed_at timestamptz`,
  `CREATE TABLE refresh_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      family_id uuid NOT NULL,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      rotated_at timestamptz,
      revoked_at timestamptz
    )`,
  `CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)`,
  `CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`,
  `CREATE TABLE unit_occupants (
      unit_id uuid NOT NULL REFERENCES units (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      relation text NOT NULL DEFAULT 'owner' CHECK (relation IN ('owner', 'tenant')),
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (unit_id, user_id)
    )`,
  `CREATE INDEX unit_occupants_user_idx ON unit_occupants (user_id)`,
  `ALTER TABLE parking_vehicles ADD COLUMN unit_id uuid REFERENCES units (id) ON DELETE SET NULL`,
  `ALTER TABLE parking_vehicles ADD COLUMN status text NOT NULL DEFAULT 'approved' CHECK (status IN ('approved', 'pending'))`,
  `ALTER TABLE parking_vehicles ADD COLUMN decided_by uuid REFERENCES users (id) ON DELETE SET NULL`,
  `ALTER TABLE parking_vehicles ADD COLUMN decided_at timestamptz`,
  `CREATE INDEX parking_vehicles_unit_idx ON parking_vehicles (unit_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX parking_vehicles_unit_idx`.execute(db);
  await sql`ALTER TABLE parking_vehicles DROP COLUMN decided_at, DROP COLUMN decided_by, DROP COLUMN status, DROP COLUMN unit_id`.execute(db);
  await sql`DROP TABLE unit_occupants, refresh_tokens`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN password_changed_at, DROP COLUMN token_version`.execute(db);
}
