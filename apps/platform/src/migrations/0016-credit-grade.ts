import { type Kysely, sql } from 'kysely';

/**
 * Credit grade and red/black list (信用评价, 红黑榜; seed 004_592cdd860f3d4a71.txt 五(三)):
 * versioned weight sets (version 1 = domain/credit-grade DEFAULT_WEIGHTS and DEFAULT_RED_LIST_RULE),
 * assessments recorded by the street or district (双随机 spot checks, street opinions, survey
 * results), one grade per company and year with the weight version it used and its breakdown,
 * and the interviews (约谈) and risk notices (风险提示函) a grade below 90 brings.
 */
const statements = [
  `CREATE TABLE credit_weight_sets (
      version integer PRIMARY KEY CHECK (version >= 1),
      weights jsonb NOT NULL,
      red_min_score double precision NOT NULL CHECK (red_min_score BETWEEN 0 AND 100),
      red_top_n integer NOT NULL CHECK (red_top_n >= 0),
      note text,
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  `INSERT INTO credit_weight_sets (version, weights, red_min_score, red_top_n, note)
     VALUES (1, '{"service":0.3,"complaints":0.2,"spotChecks":0.25,"streetOpinions":0.15,"survey":0.1}', 95, 10,
             'platform default: 004 五(三) parts and 001 四(三) satisfaction; red list ≥ 95, best 10 (no seed rule)')`,
  `CREATE TABLE credit_assessments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN ('spot_check', 'street_opinion', 'survey')),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      company_id uuid NOT NULL REFERENCES property_companies (id) ON DELETE CASCADE,
      year integer NOT NULL,
      assessed_on date NOT NULL,
      score double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
      note text,
      recorded_by uuid,
      recorder_role text NOT NULL,
      recorded_at timestamptz NOT NULL
    )`,
  `CREATE INDEX credit_assessments_company_idx ON credit_assessments (company_id, year)`,
  `CREATE INDEX credit_assessments_community_idx ON credit_assessments (community_id, year)`,
  `CREATE TABLE credit_grades (
      company_id uuid NOT NULL REFERENCES property_companies (id) ON DELETE CASCADE,
      year integer NOT NULL,
      score double precision,
      weight_version integer NOT NULL REFERENCES credit_weight_sets (version),
      breakdown jsonb NOT NULL,
      community_ids jsonb NOT NULL,
      graded_by uuid,
      graded_at timestamptz NOT NULL,
      PRIMARY KEY (company_id, year)
    )`,
  `CREATE TABLE credit_actions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      company_id uuid NOT NULL REFERENCES property_companies (id) ON DELETE CASCADE,
      year integer NOT NULL,
      kind text NOT NULL CHECK (kind IN ('interview', 'risk_notice')),
      score double precision NOT NULL,
      recorded_by uuid,
      recorded_at timestamptz NOT NULL,
      UNIQUE (company_id, year, kind)
    )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE credit_actions, credit_grades, credit_assessments, credit_weight_sets`.execute(db);
}
