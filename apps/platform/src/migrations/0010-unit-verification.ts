import { type Kysely, sql } from 'kysely';

/**
 * Owners and tenants verified (issue 13 §1): a claim to hold a unit arrives 'pending' with a
 * document (deed, contract), stored content-addressed like fund evidence; property staff or the
 * owners' committee approve ('verified') or refuse it. Links made by staff before this migration
 * were made by staff, so they stay verified. A co-owned unit votes by its representative: one
 * verified owner per unit at most.
 */
const statements = [
  `ALTER TABLE unit_occupants ADD COLUMN status text NOT NULL DEFAULT 'verified' CHECK (status IN ('pending', 'verified', 'refused'))`,
  `ALTER TABLE unit_occupants ADD COLUMN representative boolean NOT NULL DEFAULT false`,
  `ALTER TABLE unit_occupants ADD COLUMN document_sha256 text CHECK (document_sha256 ~ '^[0-9a-f]{64}$')`,
  `ALTER TABLE unit_occupants ADD COLUMN document_name text`,
  `ALTER TABLE unit_occupants ADD COLUMN document_type text`,
  `ALTER TABLE unit_occupants ADD COLUMN decided_by uuid REFERENCES users (id) ON DELETE SET NULL`,
  `ALTER TABLE unit_occupants ADD COLUMN decided_at timestamptz`,
  `ALTER TABLE unit_occupants ADD COLUMN decision_note text`,
  `ALTER TABLE unit_occupants ADD CONSTRAINT unit_occupants_representative_chk CHECK (NOT representative OR (status = 'verified' AND relation = 'owner'))`,
  `CREATE UNIQUE INDEX unit_occupants_representative_idx ON unit_occupants (unit_id) WHERE representative`,
  `UPDATE unit_occupants o SET representative = true
     WHERE o.relation = 'owner' AND o.user_id = (SELECT min(x.user_id::text)::uuid FROM unit_occupants x WHERE x.unit_id = o.unit_id AND x.relation = 'owner')`,
  `CREATE INDEX unit_occupants_pending_idx ON unit_occupants (unit_id) WHERE status = 'pending'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX unit_occupants_pending_idx`.execute(db);
  await sql`DROP INDEX unit_occupants_representative_idx`.execute(db);
  await sql`ALTER TABLE unit_occupants DROP CONSTRAINT unit_occupants_representative_chk, DROP COLUMN decision_note, DROP COLUMN decided_at, DROP COLUMN decided_by, DROP COLUMN document_type, DROP COLUMN document_name, DROP COLUMN document_sha256, DROP COLUMN representative, DROP COLUMN status`.execute(db);
}
