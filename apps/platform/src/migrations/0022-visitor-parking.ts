import { type Kysely, sql } from 'kysely';

/**
 * Visitors from outside the estate book shared slots (issue 13 §7). A community admits them only
 * when property staff say so (off by default). A visitor's one-time SMS code is kept here as an
 * HMAC digest with its expiry and tries, one live code per number; the visitor themself is a
 * users row of role `visitor` (username `visitor:<mobile>`, no usable password).
 */
const statements = [
  `ALTER TABLE communities ADD COLUMN visitors_allowed boolean NOT NULL DEFAULT false`,
  `CREATE TABLE visitor_codes (
      phone text PRIMARY KEY CHECK (phone ~ '^1[3-9][0-9]{9}$'),
      code_digest text NOT NULL,
      expires_at timestamptz NOT NULL,
      tries integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE visitor_codes`.execute(db);
  await sql`ALTER TABLE communities DROP COLUMN visitors_allowed`.execute(db);
}
