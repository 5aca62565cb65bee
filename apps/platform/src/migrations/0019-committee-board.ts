import { type Kysely, sql } from 'kysely';

const staffSections = `'manager_contacts', 'service_items_fees', 'elevator_maintenance_records', 'elevator_inspection_records', 'common_income_use', 'utility_cost_sharing', 'notices'`;
const committeeSections = `'committee_income_expenses', 'committee_decisions', 'joint_meeting_minutes'`;

/**
 * The committees publish on the board (issue 13 §6): their sections join board_items (versioned
 * like the others). Votes (issue 13 §2): a tariff names the vote that decided it, the street's
 * reviews of a decision, and the parking-slot lotteries with their published seed.
 */
const statements = [
  `ALTER TABLE board_items DROP CONSTRAINT board_items_section_check`,
  `ALTER TABLE board_items ADD CONSTRAINT board_items_section_check CHECK (section IN (${staffSections}, ${committeeSections}))`,
  `ALTER TABLE parking_tariffs ADD COLUMN decision_vote_id uuid REFERENCES owner_votes (id)`,
  `CREATE TABLE owner_vote_reviews (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      vote_id uuid NOT NULL REFERENCES owner_votes (id) ON DELETE CASCADE,
      outcome text NOT NULL CHECK (outcome IN ('upheld', 'ordered_corrected')),
      reason text NOT NULL CHECK (length(reason) > 0),
      reviewed_by uuid REFERENCES users (id) ON DELETE SET NULL,
      reviewed_at timestamptz NOT NULL
    )`,
  `CREATE INDEX owner_vote_reviews_vote_idx ON owner_vote_reviews (vote_id, reviewed_at)`,
  `CREATE TABLE slot_lotteries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      title text NOT NULL,
      seed text NOT NULL,
      entrants jsonb NOT NULL,
      slots jsonb NOT NULL,
      result jsonb NOT NULL,
      decision_vote_id uuid REFERENCES owner_votes (id),
      drawn_by uuid REFERENCES users (id) ON DELETE SET NULL,
      drawn_at timestamptz NOT NULL
    )`,
  `CREATE INDEX slot_lotteries_community_idx ON slot_lotteries (community_id, drawn_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE slot_lotteries, owner_vote_reviews`.execute(db);
  await sql`ALTER TABLE parking_tariffs DROP COLUMN decision_vote_id`.execute(db);
  await sql`DELETE FROM board_items WHERE section IN (${sql.raw(committeeSections)})`.execute(db);
  await sql.raw(`ALTER TABLE board_items DROP CONSTRAINT board_items_section_check, ADD CONSTRAINT board_items_section_check CHECK (section IN (${staffSections}))`).execute(db);
}
