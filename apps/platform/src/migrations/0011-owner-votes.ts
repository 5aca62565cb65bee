import { type Kysely, sql } from 'kysely';

/**
 * Owners' joint decisions (业主共同决定, issue 13 §2): a vote on a question with options, a period
 * and the decision rule picked from domain/owner-vote.ts (the rule's id is stored, not checked
 * here, so a new rule needs no migration). One ballot per unit (the primary key), cast by the
 * unit's representative; the result, with tallies by area and headcount, is stored when the vote
 * closes and is never changed afterwards.
 */
const statements = [
  `CREATE TABLE owner_votes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      question text NOT NULL,
      options jsonb NOT NULL,
      rule text NOT NULL,
      opens_at timestamptz NOT NULL,
      closes_at timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
      opened_by uuid REFERENCES users (id) ON DELETE SET NULL,
      opener_role text NOT NULL,
      committee_consent text,
      created_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      result jsonb,
      CHECK (closes_at > opens_at),
      CHECK ((status = 'closed') = (result IS NOT NULL))
    )`,
  `CREATE INDEX owner_votes_community_idx ON owner_votes (community_id, closes_at)`,
  `CREATE TABLE owner_vote_ballots (
      vote_id uuid NOT NULL REFERENCES owner_votes (id) ON DELETE CASCADE,
      unit_id uuid NOT NULL REFERENCES units (id) ON DELETE CASCADE,
      user_id uuid REFERENCES users (id) ON DELETE SET NULL,
      option integer NOT NULL CHECK (option >= 0),
      cast_at timestamptz NOT NULL,
      PRIMARY KEY (vote_id, unit_id)
    )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE owner_vote_ballots, owner_votes`.execute(db);
}
