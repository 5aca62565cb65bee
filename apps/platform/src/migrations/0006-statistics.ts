import { type Kysely, sql } from 'kysely';

/**
 * Service statistics: property companies (统一社会信用代码, GB 32100-2015: 18 characters, digits and
 * capital letters without I, O, S, V, Z) and which company serves each community.
 */
const statements = [
  `CREATE TABLE property_companies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      credit_code text NOT NULL UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  `ALTER TABLE communities ADD COLUMN property_company_id uuid REFERENCES property_companies (id) ON DELETE SET NULL`,
  `CREATE INDEX communities_property_company_idx ON communities (property_company_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX communities_property_company_idx`.execute(db);
  await sql`ALTER TABLE communities DROP COLUMN property_company_id`.execute(db);
  await sql`DROP TABLE property_companies`.execute(db);
}
