import { type Kysely, sql } from 'kysely';

/** Alarms: lifecycle, history, detection settings, escalation chains, inbox, preferences, webhooks. */
const statements = [
  `CREATE TABLE alarms (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
      type text NOT NULL,
      severity smallint NOT NULL CHECK (severity BETWEEN 1 AND 5),
      source text NOT NULL CHECK (source IN ('device', 'platform')),
      state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'cleared')),
      acknowledged boolean NOT NULL DEFAULT false,
      acknowledged_at timestamptz,
      acknowledged_by uuid,
      assignee_id uuid,
      count integer NOT NULL DEFAULT 1,
      first_at timestamptz NOT NULL,
      last_at timestamptz NOT NULL,
      cleared_at timestamptz,
      cleared_by uuid,
      arrived_at timestamptz,
      arrived_by uuid,
      escalation_tier integer NOT NULL DEFAULT 0,
      detail jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  // One open alarm per device and type: a repeat updates it.
  `CREATE UNIQUE INDEX alarms_open_uidx ON alarms (device_id, type) WHERE state = 'active'`,
  `CREATE INDEX alarms_community_idx ON alarms (community_id, state, acknowledged, severity, last_at)`,
  `CREATE TABLE alarm_events (
      id bigserial PRIMARY KEY,
      alarm_id uuid NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
      at timestamptz NOT NULL,
      actor_id uuid,
      action text NOT NULL,
      detail jsonb NOT NULL DEFAULT '{}'
    )`,
  `CREATE INDEX alarm_events_alarm_idx ON alarm_events (alarm_id, at)`,
  `CREATE TABLE alarm_rule_settings (
      scope text NOT NULL CHECK (scope IN ('community', 'device')),
      scope_id text NOT NULL,
      overrides jsonb NOT NULL DEFAULT '{}',
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by uuid,
      PRIMARY KEY (scope, scope_id)
    )`,
  `CREATE TABLE alarm_escalation_chains (
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      alarm_type text NOT NULL,
      chain jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by uuid,
      PRIMARY KEY (community_id, alarm_type)
    )`,
  `CREATE TABLE alarm_inbox (
      id bigserial PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      alarm_id uuid NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
      kind text NOT NULL,
      tier integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL,
      read_at timestamptz
    )`,
  `CREATE INDEX alarm_inbox_user_idx ON alarm_inbox (user_id, read_at, created_at)`,
  `CREATE TABLE alarm_notification_prefs (
      user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      severities jsonb NOT NULL DEFAULT '[]',
      types jsonb NOT NULL DEFAULT '[]'
    )`,
  `CREATE TABLE alarm_webhooks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      url text NOT NULL,
      secret text NOT NULL,
      format text NOT NULL CHECK (format IN ('json', 'wecom', 'dingtalk')),
      min_severity smallint NOT NULL DEFAULT 5,
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE INDEX alarm_webhooks_community_idx ON alarm_webhooks (community_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE alarm_webhooks, alarm_notification_prefs, alarm_inbox, alarm_escalation_chains, alarm_rule_settings, alarm_events, alarms`.execute(db);
}
