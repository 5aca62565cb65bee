import { type Kysely, sql } from 'kysely';

/**
 * Common income besides parking (issue 13 §4; seed 004 三(四)4(2): income from advertising and other
 * uses of the owners' common parts belongs to the owners, kept in its own account): a receipt of
 * advertising or other common-area income is a journal entry of kind common_income crediting the
 * community's common_income account (0005), from which transfers move it into the fund (0018).
 * Its particulars (payer, contract, period) are kept beside the entry for the public board.
 */
const statements = [
  `ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check`,
  `ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
      CHECK (kind IN ('bill', 'payment', 'refund', 'fund_opening', 'fund_deposit', 'fund_share', 'fund_interest', 'fund_transfer', 'common_income'))`,
  `CREATE TABLE common_income_receipts (
      entry_id uuid PRIMARY KEY REFERENCES journal_entries (id) ON DELETE CASCADE,
      community_id uuid NOT NULL REFERENCES communities (id),
      category text NOT NULL CHECK (category IN ('advertising', 'venue', 'other')),
      amount_fen bigint NOT NULL CHECK (amount_fen > 0),
      payer text NOT NULL,
      contract_ref text NOT NULL,
      period_from date NOT NULL,
      period_to date NOT NULL CHECK (period_to >= period_from),
      received_on date NOT NULL,
      memo text,
      recorded_by uuid REFERENCES users (id),
      recorded_at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE INDEX common_income_receipts_community_idx ON common_income_receipts (community_id, received_on)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE common_income_receipts`.execute(db);
  await sql`DELETE FROM journal_entries WHERE kind = 'common_income'`.execute(db);
  await sql`ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check`.execute(db);
  await sql`ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
      CHECK (kind IN ('bill', 'payment', 'refund', 'fund_opening', 'fund_deposit', 'fund_share', 'fund_interest', 'fund_transfer'))`.execute(db);
}
