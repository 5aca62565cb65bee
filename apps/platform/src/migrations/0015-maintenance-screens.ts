import { type Kysely, sql } from 'kysely';

/**
 * Maintenance and duty desk screens (issue 12 §1, §4): the scan of an inspection certificate and
 * the photos of an alarm's comments. Files live with the other uploads (DATA_DIR/uploads, by
 * sha256, checked like the fund's evidence); a row names one.
 */
const statements = [
  `CREATE TABLE inspection_certificate_scans (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      certificate_id uuid NOT NULL REFERENCES inspection_certificates (id) ON DELETE CASCADE,
      file_name text NOT NULL,
      content_type text NOT NULL,
      size_bytes integer NOT NULL,
      sha256 text NOT NULL,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL
    )`,
  `CREATE INDEX inspection_certificate_scans_certificate_idx ON inspection_certificate_scans (certificate_id, created_at)`,
  `CREATE TABLE alarm_photos (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      alarm_id uuid NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
      file_name text NOT NULL,
      content_type text NOT NULL,
      size_bytes integer NOT NULL,
      sha256 text NOT NULL,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL
    )`,
  `CREATE INDEX alarm_photos_alarm_idx ON alarm_photos (alarm_id, created_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE alarm_photos, inspection_certificate_scans`.execute(db);
}
