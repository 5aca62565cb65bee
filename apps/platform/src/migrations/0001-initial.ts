import { type Kysely, sql } from 'kysely';

const statements = [
  `CREATE EXTENSION IF NOT EXISTS btree_gist`,
  `CREATE TABLE communities (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      district text NOT NULL,
      street text NOT NULL,
      address text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE INDEX communities_area_idx ON communities (district, street)`,
  `CREATE TABLE buildings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      name text NOT NULL,
      floors integer CHECK (floors > 0),
      UNIQUE (community_id, name)
    )`,
  `CREATE TABLE units (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      building_id uuid NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      number text NOT NULL,
      floor_area numeric(10, 2) NOT NULL CHECK (floor_area > 0),
      UNIQUE (building_id, number)
    )`,
  `CREATE INDEX units_community_idx ON units (community_id)`,
  `CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      username text NOT NULL UNIQUE,
      password_hash text NOT NULL,
      display_name text,
      role text NOT NULL,
      scope_level text NOT NULL CHECK (scope_level IN ('platform', 'community', 'street', 'district')),
      scope_street text,
      scope_district text,
      disabled boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (scope_level <> 'street' OR (scope_street IS NOT NULL AND scope_district IS NOT NULL)),
      CHECK (scope_level <> 'district' OR scope_district IS NOT NULL)
    )`,
  `CREATE TABLE user_communities (
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      PRIMARY KEY (user_id, community_id)
    )`,
  `CREATE TABLE devices (
      id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('elevator', 'fire', 'gate')),
      subtype text,
      name text NOT NULL,
      location text,
      building_id uuid REFERENCES buildings (id) ON DELETE SET NULL,
      secret_hash text NOT NULL,
      disabled boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      secret_rotated_at timestamptz,
      CHECK ((kind = 'fire') = (subtype IS NOT NULL))
    )`,
  `CREATE INDEX devices_community_idx ON devices (community_id)`,
  `CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_id uuid,
      action text NOT NULL,
      subject_type text NOT NULL,
      subject_id text NOT NULL,
      detail jsonb NOT NULL DEFAULT '{}'
    )`,
  `CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  // One statement per call: PGlite's extended protocol takes a single statement at a time.
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_log, devices, user_communities, users, units, buildings, communities`.execute(db);
}
