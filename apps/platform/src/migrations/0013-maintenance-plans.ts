import { type Kysely, sql } from 'kysely';

/**
 * Maintenance plans and inspections (issue 12 §4): one plan per elevator (TSG T5002) or fire
 * device (GB 25201) with the date it runs from; the visits the maintenance company records; the
 * periodic inspection certificates with their expiry. Photo files live with the other uploads
 * (DATA_DIR/uploads, by sha256); a row names one. What is due is computed from these
 * (domain/maintenance-schedule.ts), never stored.
 */
const statements = [
  `CREATE TABLE maintenance_plans (
      device_id text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      regime text NOT NULL CHECK (regime IN ('tsg_t5002', 'gb_25201')),
      company text NOT NULL,
      company_phone text NOT NULL,
      started_at timestamptz NOT NULL,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL
    )`,
  `CREATE INDEX maintenance_plans_community_idx ON maintenance_plans (community_id)`,
  `CREATE TABLE maintenance_visits (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      device_id text NOT NULL REFERENCES maintenance_plans (device_id) ON DELETE CASCADE,
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      kind text NOT NULL,
      visited_at timestamptz NOT NULL,
      worker text NOT NULL,
      items jsonb NOT NULL,
      note text,
      cost_fen bigint NOT NULL DEFAULT 0 CHECK (cost_fen >= 0),
      recorded_by uuid REFERENCES users (id) ON DELETE SET NULL,
      recorded_at timestamptz NOT NULL
    )`,
  `CREATE INDEX maintenance_visits_device_idx ON maintenance_visits (device_id, visited_at)`,
  `CREATE INDEX maintenance_visits_community_idx ON maintenance_visits (community_id, visited_at)`,
  `CREATE TABLE maintenance_visit_photos (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      visit_id uuid NOT NULL REFERENCES maintenance_visits (id) ON DELETE CASCADE,
      file_name text NOT NULL,
      content_type text NOT NULL,
      size_bytes integer NOT NULL,
      sha256 text NOT NULL,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL
    )`,
  `CREATE INDEX maintenance_visit_photos_visit_idx ON maintenance_visit_photos (visit_id, created_at)`,
  `CREATE TABLE inspection_certificates (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      device_id text NOT NULL REFERENCES maintenance_plans (device_id) ON DELETE CASCADE,
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      agency text NOT NULL,
      certificate_no text,
      result text NOT NULL CHECK (result IN ('pass', 'pass_after_rectification', 'fail')),
      inspected_on date NOT NULL,
      expires_on date NOT NULL,
      recorded_by uuid REFERENCES users (id) ON DELETE SET NULL,
      recorded_at timestamptz NOT NULL,
      CHECK (expires_on > inspected_on)
    )`,
  `CREATE INDEX inspection_certificates_device_idx ON inspection_certificates (device_id, inspected_on)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE inspection_certificates, maintenance_visit_photos, maintenance_visits, maintenance_plans`.execute(db);
}
