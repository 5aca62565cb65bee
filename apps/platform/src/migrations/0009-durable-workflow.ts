import { type Kysely, sql } from 'kysely';

/**
 * PostgreSQL, not Redis, holds what must happen later and what must follow a write:
 * - workflow_steps: every deadline the platform keeps (alarm escalation steps, reminders and
 *   arrival deadlines, fund review/payment reminders and deemed approvals), one row per BullMQ
 *   job id. A step is done or cancelled exactly once (done_at); a sweep re-creates the BullMQ job
 *   of every pending step that Redis lost (restart without AOF, flush), under the same job id.
 * - outbox: work that must follow a committed write (a fund case for a raised alarm), written in
 *   the same transaction as that write and relayed afterwards; (topic, key) is unique so the
 *   relayed work is idempotent on it.
 */
const statements = [
  `CREATE TABLE workflow_steps (
      job_id text PRIMARY KEY,
      name text NOT NULL,
      data jsonb NOT NULL,
      due_at timestamptz NOT NULL,
      priority integer,
      created_at timestamptz NOT NULL DEFAULT now(),
      done_at timestamptz,
      outcome text CHECK (outcome IN ('done', 'cancelled'))
    )`,
  `CREATE INDEX workflow_steps_pending_idx ON workflow_steps (due_at) WHERE done_at IS NULL`,
  `CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      topic text NOT NULL,
      key text NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      attempts integer NOT NULL DEFAULT 0,
      UNIQUE (topic, key)
    )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE outbox, workflow_steps`.execute(db);
}
