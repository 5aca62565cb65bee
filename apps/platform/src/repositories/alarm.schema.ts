import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;

/** Row types of migrations/0002-alarms.ts. */
export interface AlarmTables {
  alarms: {
    id: Generated<string>;
    community_id: string;
    device_id: string;
    type: string;
    severity: number;
    source: 'device' | 'platform';
    state: Generated<'active' | 'cleared'>;
    acknowledged: Generated<boolean>;
    acknowledged_at: Date | null;
    acknowledged_by: string | null;
    assignee_id: string | null;
    count: Generated<number>;
    first_at: Date;
    last_at: Date;
    cleared_at: Date | null;
    cleared_by: string | null;
    arrived_at: Date | null;
    arrived_by: string | null;
    escalation_tier: Generated<number>;
    detail: Json<Record<string, unknown>>;
    created_at: Generated<Date>;
  };
  alarm_events: {
    id: Generated<string>;
    alarm_id: string;
    at: Date;
    actor_id: string | null;
    action: string;
    detail: Json<Record<string, unknown>>;
  };
  alarm_rule_settings: {
    scope: 'community' | 'device';
    scope_id: string;
    overrides: Json<Record<string, unknown>>;
    updated_at: Generated<Date>;
    updated_by: string | null;
  };
  alarm_escalation_chains: {
    community_id: string;
    alarm_type: string;
    chain: Json<Record<string, unknown>>;
    updated_at: Generated<Date>;
    updated_by: string | null;
  };
  alarm_inbox: {
    id: Generated<string>;
    user_id: string;
    alarm_id: string;
    kind: string;
    tier: number;
    created_at: Date;
    read_at: Date | null;
  };
  alarm_notification_prefs: {
    user_id: string;
    severities: Json<number[]>;
    types: Json<string[]>;
  };
  alarm_webhooks: {
    id: Generated<string>;
    community_id: string;
    url: string;
    secret: string;
    format: 'json' | 'wecom' | 'dingtalk';
    min_severity: number;
    created_by: string | null;
    created_at: Generated<Date>;
  };
  /** Photos of an alarm's comments (migration 0015); the file is in the uploads store by sha256. */
  alarm_photos: {
    id: Generated<string>;
    alarm_id: string;
    file_name: string;
    content_type: string;
    size_bytes: number;
    sha256: string;
    created_by: string | null;
    created_at: Date;
  };
}
