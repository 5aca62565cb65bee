import { type Kysely, sql } from 'kysely';

/**
 * The public disclosure board (公示栏): every publication of a section is a new, immutable row
 * (version 1, 2, …); the board shows the latest version of each section, history is kept.
 */
const statements = [
  `CREATE TABLE board_items (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      section text NOT NULL CHECK (section IN ('manager_contacts', 'service_items_fees', 'elevator_maintenance_records', 'elevator_inspection_records', 'common_income_use', 'utility_cost_sharing', 'notices')),
      version integer NOT NULL CHECK (version > 0),
      content jsonb NOT NULL,
      published_by uuid REFERENCES users (id) ON DELETE SET NULL,
      published_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (community_id, section, version)
    )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE board_items`.execute(db);
}
