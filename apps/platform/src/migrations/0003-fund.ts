import { type Kysely, sql } from 'kysely';

/** Emergency maintenance-fund green channel: cases, their timeline, evidence, payments, shares; holidays; per-community settings. */
const statements = [
  `CREATE TABLE fund_community_settings (
      community_id uuid PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
      profile text NOT NULL DEFAULT 'national',
      has_property_company boolean NOT NULL DEFAULT true,
      has_owners_committee boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE TABLE fund_calendar_days (
      day date PRIMARY KEY,
      year integer NOT NULL,
      kind text NOT NULL CHECK (kind IN ('holiday', 'workday'))
    )`,
  `CREATE INDEX fund_calendar_days_year_idx ON fund_calendar_days (year)`,
  `CREATE TABLE fund_cases (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      category text NOT NULL,
      title text NOT NULL,
      description text,
      source text NOT NULL CHECK (source IN ('alarm', 'manual')),
      alarm_id text UNIQUE,
      alarm_type text,
      device_id text,
      building_id uuid REFERENCES buildings (id) ON DELETE SET NULL,
      state text NOT NULL DEFAULT 'draft',
      profile text NOT NULL,
      repair_plan text,
      contractor text,
      budget_fen bigint CHECK (budget_fen > 0),
      charge_scope jsonb,
      paid_fen bigint NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
      actual_cost_fen bigint CHECK (actual_cost_fen > 0),
      notice_ends_at timestamptz,
      notice_during_works boolean NOT NULL DEFAULT false,
      review_deadline timestamptz,
      payment_deadline timestamptz,
      escalated_at timestamptz,
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      disclosed_at timestamptz,
      version integer NOT NULL DEFAULT 0
    )`,
  `CREATE INDEX fund_cases_community_idx ON fund_cases (community_id, created_at)`,
  // One open case per device and alarm type: a repeat of the alarm joins the open case.
  `CREATE UNIQUE INDEX fund_cases_open_device_alarm_idx ON fund_cases (device_id, alarm_type)
      WHERE device_id IS NOT NULL AND alarm_type IS NOT NULL AND state NOT IN ('rejected', 'disclosed', 'withdrawn')`,
  `CREATE TABLE fund_case_events (
      id bigserial PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES fund_cases (id) ON DELETE CASCADE,
      at timestamptz NOT NULL,
      actor_id uuid,
      actor_role text,
      action text NOT NULL,
      from_state text,
      to_state text,
      detail jsonb NOT NULL DEFAULT '{}'
    )`,
  `CREATE INDEX fund_case_events_case_idx ON fund_case_events (case_id, id)`,
  `CREATE TABLE fund_evidence (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid NOT NULL REFERENCES fund_cases (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('alarm', 'telemetry', 'upload')),
      alarm_id text,
      file_name text,
      content_type text,
      size_bytes integer,
      sha256 text,
      detail jsonb NOT NULL DEFAULT '{}',
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE INDEX fund_evidence_case_idx ON fund_evidence (case_id, created_at)`,
  `CREATE TABLE fund_payments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid NOT NULL REFERENCES fund_cases (id) ON DELETE CASCADE,
      amount_fen bigint NOT NULL CHECK (amount_fen > 0),
      stage text NOT NULL,
      reference text,
      recorded_by uuid,
      paid_at timestamptz NOT NULL
    )`,
  `CREATE INDEX fund_payments_case_idx ON fund_payments (case_id, paid_at)`,
  `CREATE TABLE fund_shares (
      case_id uuid NOT NULL REFERENCES fund_cases (id) ON DELETE CASCADE,
      unit_id uuid NOT NULL REFERENCES units (id) ON DELETE CASCADE,
      floor_area numeric(10, 2) NOT NULL,
      share_fen bigint NOT NULL CHECK (share_fen >= 0),
      PRIMARY KEY (case_id, unit_id)
    )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE fund_shares, fund_payments, fund_evidence, fund_case_events, fund_cases, fund_calendar_days, fund_community_settings`.execute(db);
}
