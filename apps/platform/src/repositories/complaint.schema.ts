import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;

/** Row types of migration 0012-complaints (and 0014's link to a fund case). */
export interface ComplaintTables {
  complaint_settings: {
    community_id: string;
    resolve_hours: Json<Record<string, number>>;
    level_hours: Json<Record<string, number>>;
    ledger_hours: number | null;
    updated_at: Generated<Date>;
  };
  complaints: {
    id: Generated<string>;
    community_id: string;
    filed_by: string;
    kind: 'complaint' | 'repair';
    category: string;
    text: string;
    location: string;
    contact: string | null;
    alarm_id: string | null;
    state: Generated<string>;
    level: Generated<string>;
    on_ledger: Generated<boolean>;
    deadline: Date;
    filed_at: Date;
    responded_at: Date | null;
    resolved_at: Date | null;
    satisfaction: number | null;
    reopened: Generated<number>;
    /** The emergency repair (green-channel fund case) it was turned into (migration 0014). */
    fund_case_id: ColumnType<string | null, string | null | undefined, string | null>;
  };
  complaint_events: {
    id: Generated<string>;
    complaint_id: string;
    at: Date;
    actor_id: string | null;
    actor_role: string;
    action: string;
    level: string;
    note: string | null;
  };
  complaint_photos: {
    id: Generated<string>;
    complaint_id: string;
    content_type: string;
    size_bytes: number;
    sha256: string;
    created_by: string;
    created_at: Date;
  };
  complaint_inbox: {
    id: Generated<string>;
    user_id: string;
    complaint_id: string;
    action: string;
    level: string;
    created_at: Date;
    read_at: Date | null;
  };
}
