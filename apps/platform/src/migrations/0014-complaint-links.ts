import { type Kysely, sql } from 'kysely';

/**
 * A complaint turned into an emergency repair (green channel): the fund case names the complaint
 * it came from (source 'complaint', one case per complaint) and the complaint names its case; the
 * complaint's text and photos become the case's evidence (kind 'complaint' and 'upload').
 */
const statements = [
  `ALTER TABLE fund_cases DROP CONSTRAINT fund_cases_source_check`,
  `ALTER TABLE fund_cases ADD CONSTRAINT fund_cases_source_check CHECK (source IN ('alarm', 'manual', 'complaint'))`,
  `ALTER TABLE fund_cases ADD COLUMN complaint_id uuid UNIQUE REFERENCES complaints (id) ON DELETE SET NULL`,
  `ALTER TABLE fund_evidence DROP CONSTRAINT fund_evidence_kind_check`,
  `ALTER TABLE fund_evidence ADD CONSTRAINT fund_evidence_kind_check CHECK (kind IN ('alarm', 'telemetry', 'upload', 'complaint'))`,
  `ALTER TABLE complaints ADD COLUMN fund_case_id uuid REFERENCES fund_cases (id) ON DELETE SET NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`ALTER TABLE complaints DROP COLUMN fund_case_id`).execute(db);
  await sql.raw(`DELETE FROM fund_evidence WHERE kind = 'complaint'`).execute(db);
  await sql.raw(`ALTER TABLE fund_evidence DROP CONSTRAINT fund_evidence_kind_check`).execute(db);
  await sql.raw(`ALTER TABLE fund_evidence ADD CONSTRAINT fund_evidence_kind_check CHECK (kind IN ('alarm', 'telemetry', 'upload'))`).execute(db);
  await sql.raw(`ALTER TABLE fund_cases DROP COLUMN complaint_id`).execute(db);
  await sql.raw(`UPDATE fund_cases SET source = 'manual' WHERE source = 'complaint'`).execute(db);
  await sql.raw(`ALTER TABLE fund_cases DROP CONSTRAINT fund_cases_source_check`).execute(db);
  await sql.raw(`ALTER TABLE fund_cases ADD CONSTRAINT fund_cases_source_check CHECK (source IN ('alarm', 'manual'))`).execute(db);
}
