import type { ColumnType, Generated } from 'kysely';

/** bigint columns: the drivers return strings (pg) or numbers/bigints (PGlite); written as strings. */
type Fen = ColumnType<string | number | bigint, string, string>;
type Json<T> = ColumnType<T, string, string>;

/** Row types of migration 0003-fund (maintenance-fund green channel), with 0014's link to a complaint. */
export interface FundTables {
  fund_community_settings: {
    community_id: string;
    profile: string;
    has_property_company: boolean;
    has_owners_committee: boolean;
    updated_at: Generated<Date>;
  };
  fund_calendar_days: {
    day: ColumnType<string, string, string>;
    year: number;
    kind: 'holiday' | 'workday';
  };
  fund_cases: {
    id: Generated<string>;
    community_id: string;
    category: string;
    title: string;
    description: string | null;
    source: 'alarm' | 'manual' | 'complaint';
    /** The complaint the case was opened from (migration 0014), one case per complaint. */
    complaint_id: ColumnType<string | null, string | null | undefined, string | null>;
    alarm_id: string | null;
    alarm_type: string | null;
    device_id: string | null;
    building_id: string | null;
    state: Generated<string>;
    profile: string;
    repair_plan: string | null;
    contractor: string | null;
    budget_fen: ColumnType<string | number | bigint | null, string | null, string | null>;
    charge_scope: Json<unknown> | null;
    paid_fen: ColumnType<string | number | bigint, string | undefined, string>;
    actual_cost_fen: ColumnType<string | number | bigint | null, string | null, string | null>;
    notice_ends_at: Date | null;
    notice_during_works: Generated<boolean>;
    review_deadline: Date | null;
    payment_deadline: Date | null;
    escalated_at: Date | null;
    created_by: string | null;
    created_at: ColumnType<Date, Date | undefined, Date>;
    updated_at: ColumnType<Date, Date | undefined, Date>;
    disclosed_at: Date | null;
    version: Generated<number>;
  };
  fund_case_events: {
    id: Generated<string>;
    case_id: string;
    at: Date;
    actor_id: string | null;
    actor_role: string | null;
    action: string;
    from_state: string | null;
    to_state: string | null;
    detail: Json<Record<string, unknown>>;
  };
  fund_evidence: {
    id: Generated<string>;
    case_id: string;
    kind: 'alarm' | 'telemetry' | 'upload' | 'complaint';
    alarm_id: string | null;
    file_name: string | null;
    content_type: string | null;
    size_bytes: number | null;
    sha256: string | null;
    detail: Json<Record<string, unknown>>;
    created_by: string | null;
    created_at: ColumnType<Date, Date | undefined, Date>;
  };
  fund_payments: {
    id: Generated<string>;
    case_id: string;
    amount_fen: Fen;
    stage: string;
    reference: string | null;
    recorded_by: string | null;
    paid_at: Date;
  };
  fund_shares: {
    case_id: string;
    unit_id: string;
    floor_area: ColumnType<string, string, string>;
    share_fen: Fen;
  };
}
