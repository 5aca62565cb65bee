import { type Kysely, sql } from 'kysely';

/**
 * Maintenance-fund accounts per unit (专项维修资金分户账, issue 13 §4), kept in the community's
 * double-entry ledger of 0005-billing, so a transfer of common income into the fund is one
 * balanced entry. A unit's account is a ledger account naming its unit; a fund movement is a
 * journal entry of a fund kind, booked on a local day, with a source key that makes each posting
 * happen once (an opening balance per unit, a deposit slip, a case's shares, an interest date, a
 * transfer reference).
 */
const statements = [
  `ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check`,
  `ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check
      CHECK (kind IN ('bill', 'payment', 'refund', 'fund_opening', 'fund_deposit', 'fund_share', 'fund_interest', 'fund_transfer'))`,
  `ALTER TABLE journal_entries ADD COLUMN source text, ADD COLUMN booked_on date`,
  `CREATE UNIQUE INDEX journal_entries_source_once ON journal_entries (source)`,
  `CREATE INDEX journal_entries_fund_idx ON journal_entries (community_id, booked_on) WHERE booked_on IS NOT NULL`,
  `ALTER TABLE ledger_accounts ADD COLUMN unit_id uuid REFERENCES units (id)`,
  `CREATE INDEX ledger_accounts_unit_idx ON ledger_accounts (unit_id) WHERE unit_id IS NOT NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM journal_entries WHERE kind LIKE 'fund_%'`.execute(db);
  await sql`DELETE FROM ledger_accounts WHERE unit_id IS NOT NULL`.execute(db);
  await sql`ALTER TABLE ledger_accounts DROP COLUMN unit_id`.execute(db);
  await sql`ALTER TABLE journal_entries DROP COLUMN source, DROP COLUMN booked_on`.execute(db);
  await sql`ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_kind_check`.execute(db);
  await sql`ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_kind_check CHECK (kind IN ('bill', 'payment', 'refund'))`.execute(db);
}
