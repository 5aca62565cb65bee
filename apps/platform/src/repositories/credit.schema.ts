import type { ColumnType } from 'kysely';

/** Row types of migration 0016-credit-grade. */
export interface CreditTables {
  credit_weight_sets: {
    version: number;
    weights: ColumnType<Record<string, number>, string, string>;
    red_min_score: number;
    red_top_n: number;
    note: string | null;
    created_by: string | null;
    created_at: ColumnType<Date, Date | undefined, never>;
  };
  credit_assessments: {
    id: ColumnType<string, string | undefined, never>;
    kind: 'spot_check' | 'street_opinion' | 'survey';
    community_id: string;
    company_id: string;
    year: number;
    /** date, read as YYYY-MM-DD by the repository. */
    assessed_on: ColumnType<string, string, never>;
    score: number;
    note: string | null;
    recorded_by: string | null;
    recorder_role: string;
    recorded_at: Date;
  };
  credit_grades: {
    company_id: string;
    year: number;
    score: number | null;
    weight_version: number;
    breakdown: ColumnType<unknown, string, string>;
    community_ids: ColumnType<string[], string, string>;
    graded_by: string | null;
    graded_at: Date;
  };
  credit_actions: {
    id: ColumnType<string, string | undefined, never>;
    company_id: string;
    year: number;
    kind: 'interview' | 'risk_notice';
    score: number;
    recorded_by: string | null;
    recorded_at: Date;
  };
}
