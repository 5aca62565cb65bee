import { type Kysely, sql } from 'kysely';

/**
 * Complaints and repair requests (接诉即办): the items, their timeline, photos, per-community
 * deadlines and the filer's notices. Deadlines themselves are workflow_steps rows (0009).
 */
const statements = [
  `CREATE TABLE complaint_settings (
      community_id uuid PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
      resolve_hours jsonb NOT NULL DEFAULT '{}',
      level_hours jsonb NOT NULL DEFAULT '{}',
      ledger_hours integer,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE TABLE complaints (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      filed_by uuid NOT NULL REFERENCES users (id),
      kind text NOT NULL CHECK (kind IN ('complaint', 'repair')),
      category text NOT NULL,
      text text NOT NULL,
      location text NOT NULL,
      contact text,
      alarm_id uuid REFERENCES alarms (id) ON DELETE SET NULL,
      state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved', 'closed')),
      level text NOT NULL DEFAULT 'property' CHECK (level IN ('property', 'residents_committee', 'street', 'district')),
      on_ledger boolean NOT NULL DEFAULT false,
      deadline timestamptz NOT NULL,
      filed_at timestamptz NOT NULL,
      responded_at timestamptz,
      resolved_at timestamptz,
      satisfaction smallint CHECK (satisfaction BETWEEN 1 AND 5),
      reopened integer NOT NULL DEFAULT 0
    )`,
  `CREATE INDEX complaints_community_idx ON complaints (community_id, filed_at)`,
  `CREATE INDEX complaints_filer_idx ON complaints (filed_by, filed_at)`,
  `CREATE INDEX complaints_open_idx ON complaints (community_id, deadline) WHERE state = 'open'`,
  `CREATE TABLE complaint_events (
      id bigserial PRIMARY KEY,
      complaint_id uuid NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
      at timestamptz NOT NULL,
      actor_id uuid,
      actor_role text NOT NULL,
      action text NOT NULL,
      level text NOT NULL,
      note text
    )`,
  `CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, id)`,
  `CREATE TABLE complaint_photos (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      complaint_id uuid NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
      content_type text NOT NULL,
      size_bytes integer NOT NULL,
      sha256 text NOT NULL,
      created_by uuid NOT NULL,
      created_at timestamptz NOT NULL
    )`,
  `CREATE TABLE complaint_inbox (
      id bigserial PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      complaint_id uuid NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
      action text NOT NULL,
      level text NOT NULL,
      created_at timestamptz NOT NULL,
      read_at timestamptz
    )`,
  `CREATE INDEX complaint_inbox_user_idx ON complaint_inbox (user_id, created_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE complaint_inbox, complaint_photos, complaint_events, complaints, complaint_settings`.execute(db);
}
