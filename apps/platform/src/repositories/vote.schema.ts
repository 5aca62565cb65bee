import type { ColumnType, Generated } from 'kysely';

/** Row types of migration 0011-owner-votes. */
export interface VoteTables {
  owner_votes: {
    id: Generated<string>;
    community_id: string;
    question: string;
    options: ColumnType<string[], string, string>;
    rule: string;
    opens_at: Date;
    closes_at: Date;
    status: Generated<'open' | 'closed'>;
    opened_by: string | null;
    opener_role: string;
    committee_consent: string | null;
    created_at: Generated<Date>;
    closed_at: Date | null;
    result: ColumnType<unknown, string | null, string | null>;
  };
  /** Migration 0019: the street's reviews of a decision. */
  owner_vote_reviews: {
    id: Generated<string>;
    vote_id: string;
    outcome: 'upheld' | 'ordered_corrected';
    reason: string;
    reviewed_by: string | null;
    reviewed_at: Date;
  };
  owner_vote_ballots: {
    vote_id: string;
    unit_id: string;
    user_id: string | null;
    option: number;
    cast_at: Date;
  };
}
