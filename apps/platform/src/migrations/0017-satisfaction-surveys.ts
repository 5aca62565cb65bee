import { type Kysely, sql } from 'kysely';

/**
 * Owners' satisfaction surveys (满意度测评, issue 13 §3; seed 001_187fc5f9dc35b825.txt 四(三)): one
 * survey per community and half-year (the unique key), with the property company serving the
 * community when it opened (results and the credit grade go to that company), the service areas
 * it asks about; one answer per unit (the primary key), given by the unit's representative. The
 * result is stored when the survey closes and never changed afterwards.
 */
const statements = [
  `CREATE TABLE satisfaction_surveys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      company_id uuid NOT NULL REFERENCES property_companies (id) ON DELETE CASCADE,
      period text NOT NULL CHECK (period ~ '^[0-9]{4}H[12]$'),
      areas jsonb NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
      opened_by uuid REFERENCES users (id) ON DELETE SET NULL,
      opener_role text NOT NULL,
      opened_at timestamptz NOT NULL,
      closed_at timestamptz,
      result jsonb,
      UNIQUE (community_id, period),
      CHECK ((status = 'closed') = (result IS NOT NULL))
    )`,
  `CREATE INDEX satisfaction_surveys_company_idx ON satisfaction_surveys (company_id, period)`,
  `CREATE TABLE satisfaction_answers (
      survey_id uuid NOT NULL REFERENCES satisfaction_surveys (id) ON DELETE CASCADE,
      unit_id uuid NOT NULL REFERENCES units (id) ON DELETE CASCADE,
      user_id uuid REFERENCES users (id) ON DELETE SET NULL,
      scores jsonb NOT NULL,
      comments jsonb,
      answered_at timestamptz NOT NULL,
      PRIMARY KEY (survey_id, unit_id)
    )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE satisfaction_answers, satisfaction_surveys`.execute(db);
}
