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
  owner_vote_ballots: {
    vote_id: string;
    unit_id: string;
    user_id: string | null;
    option: number;
    cast_at: Date;
  };
}
