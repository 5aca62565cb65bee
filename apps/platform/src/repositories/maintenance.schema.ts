import type { ColumnType } from 'kysely';

/** Row types of migrations 0013-maintenance-plans and 0015-maintenance-screens. */
export interface MaintenanceTables {
  maintenance_plans: {
    device_id: string;
    community_id: string;
    regime: 'tsg_t5002' | 'gb_25201';
    company: string;
    company_phone: string;
    started_at: Date;
    created_by: string | null;
    created_at: Date;
  };
  maintenance_visits: {
    id: ColumnType<string, string | undefined, never>;
    device_id: string;
    community_id: string;
    kind: string;
    visited_at: Date;
    worker: string;
    items: ColumnType<string[], string, string>;
    note: string | null;
    /** 电梯维护保养支出 of this visit, in fen; bigint read as a string. */
    cost_fen: ColumnType<string, number | undefined, never>;
    recorded_by: string | null;
    recorded_at: Date;
  };
  maintenance_visit_photos: {
    id: ColumnType<string, string | undefined, never>;
    visit_id: string;
    file_name: string;
    content_type: string;
    size_bytes: number;
    sha256: string;
    created_by: string | null;
    created_at: Date;
  };
  inspection_certificates: {
    id: ColumnType<string, string | undefined, never>;
    device_id: string;
    community_id: string;
    agency: string;
    certificate_no: string | null;
    result: 'pass' | 'pass_after_rectification' | 'fail';
    /** Read with to_char (YYYY-MM-DD), written as such. */
    inspected_on: ColumnType<string, string, string>;
    expires_on: ColumnType<string, string, string>;
    recorded_by: string | null;
    recorded_at: Date;
  };
  inspection_certificate_scans: {
    id: ColumnType<string, string | undefined, never>;
    certificate_id: string;
    file_name: string;
    content_type: string;
    size_bytes: number;
    sha256: string;
    created_by: string | null;
    created_at: Date;
  };
}
