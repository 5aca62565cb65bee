import type { ColumnType, Generated } from 'kysely';
import type { SurveyArea } from '@app/contracts';

/** Row types of migration 0017-satisfaction-surveys. */
export interface SurveyTables {
  satisfaction_surveys: {
    id: Generated<string>;
    community_id: string;
    company_id: string;
    period: string;
    areas: ColumnType<SurveyArea[], string, string>;
    status: Generated<'open' | 'closed'>;
    opened_by: string | null;
    opener_role: string;
    opened_at: Date;
    closed_at: Date | null;
    result: ColumnType<unknown, string | null, string | null>;
  };
  satisfaction_answers: {
    survey_id: string;
    unit_id: string;
    user_id: string | null;
    scores: ColumnType<Partial<Record<SurveyArea, number>>, string, string>;
    comments: ColumnType<Partial<Record<SurveyArea, string>> | null, string | null, string | null>;
    answered_at: Date;
  };
}
