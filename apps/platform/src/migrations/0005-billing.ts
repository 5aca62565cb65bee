import { type Kysely, sql } from 'kysely';

/**
 * Parking tariffs, bills, payments and the double-entry ledger. Sessions, slots and bookings
 * belong to 0004-parking and are referenced by id only (no foreign keys), so this migration does
 * not depend on their layout.
 */
const statements = [
  `CREATE TABLE parking_tariffs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      version integer NOT NULL CHECK (version > 0),
      set_by text NOT NULL CHECK (set_by IN ('owners_assembly', 'owners_negotiation', 'government_guidance', 'government_set')),
      filing_number text NOT NULL CHECK (length(filing_number) > 0),
      decision_ref text,
      effective_from timestamptz NOT NULL,
      rules jsonb NOT NULL,
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (community_id, version)
    )`,
  `CREATE INDEX parking_tariffs_effective_idx ON parking_tariffs (community_id, effective_from)`,
  `CREATE TABLE billing_settings (
      community_id uuid PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
      commission_bp integer NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
      platform_fee_bp integer NOT NULL CHECK (platform_fee_bp BETWEEN 0 AND 10000),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (commission_bp + platform_fee_bp <= 10000)
    )`,
  `CREATE TABLE parking_bills (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      session_id uuid NOT NULL UNIQUE,
      slot_id uuid,
      slot_owner_id uuid,
      tariff_id uuid REFERENCES parking_tariffs (id),
      tariff_version integer,
      plate text NOT NULL,
      vehicle_class text NOT NULL,
      session_kind text NOT NULL,
      entry_at timestamptz NOT NULL,
      exit_at timestamptz NOT NULL,
      amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
      overstay_fen bigint NOT NULL DEFAULT 0 CHECK (overstay_fen >= 0),
      owner_fen bigint NOT NULL DEFAULT 0,
      commission_fen bigint NOT NULL DEFAULT 0,
      platform_fee_fen bigint NOT NULL DEFAULT 0,
      common_income_fen bigint NOT NULL DEFAULT 0,
      commission_bp integer NOT NULL,
      platform_fee_bp integer NOT NULL,
      paid_fen bigint NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
      refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0),
      exempt text,
      breakdown jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (owner_fen + commission_fen + platform_fee_fen + common_income_fen = amount_fen),
      CHECK (paid_fen <= amount_fen AND refunded_fen <= paid_fen),
      CHECK (tariff_id IS NOT NULL OR exempt IS NOT NULL)
    )`,
  `CREATE INDEX parking_bills_community_idx ON parking_bills (community_id, exit_at)`,
  `CREATE INDEX parking_bills_owner_idx ON parking_bills (slot_owner_id, exit_at) WHERE slot_owner_id IS NOT NULL`,
  `CREATE TABLE parking_payments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      bill_id uuid NOT NULL REFERENCES parking_bills (id),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('payment', 'refund')),
      provider text NOT NULL,
      provider_ref text NOT NULL,
      amount_fen bigint NOT NULL CHECK (amount_fen > 0),
      reason text,
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (provider, kind, provider_ref)
    )`,
  `CREATE INDEX parking_payments_bill_idx ON parking_payments (bill_id)`,
  `CREATE TABLE ledger_accounts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      key text NOT NULL UNIQUE,
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('asset', 'liability', 'revenue')),
      name text NOT NULL,
      owner_id uuid
    )`,
  `CREATE TABLE journal_entries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('bill', 'payment', 'refund')),
      bill_id uuid REFERENCES parking_bills (id),
      payment_id uuid REFERENCES parking_payments (id),
      memo text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`,
  `CREATE UNIQUE INDEX journal_entries_bill_once ON journal_entries (bill_id) WHERE kind = 'bill'`,
  `CREATE TABLE journal_lines (
      id bigserial PRIMARY KEY,
      entry_id uuid NOT NULL REFERENCES journal_entries (id) ON DELETE CASCADE,
      account_id uuid NOT NULL REFERENCES ledger_accounts (id),
      debit_fen bigint NOT NULL DEFAULT 0 CHECK (debit_fen >= 0),
      credit_fen bigint NOT NULL DEFAULT 0 CHECK (credit_fen >= 0),
      CHECK ((debit_fen > 0) <> (credit_fen > 0))
    )`,
  `CREATE INDEX journal_lines_entry_idx ON journal_lines (entry_id)`,
  `CREATE INDEX journal_lines_account_idx ON journal_lines (account_id)`,
  // Debits = credits per entry, checked at commit (deferred), whatever code wrote the lines.
  `CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      e uuid;
      d bigint;
      c bigint;
      n integer;
    BEGIN
      IF TG_OP = 'DELETE' THEN e := OLD.entry_id; ELSE e := NEW.entry_id; END IF;
      SELECT coalesce(sum(debit_fen), 0), coalesce(sum(credit_fen), 0), count(*) INTO d, c, n FROM journal_lines WHERE entry_id = e;
      IF n > 0 AND (d <> c OR n < 2) THEN
        RAISE EXCEPTION 'journal entry % does not balance: debits % credits %', e, d, c USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END
  $$`,
  `CREATE CONSTRAINT TRIGGER journal_lines_balanced AFTER INSERT OR UPDATE OR DELETE ON journal_lines
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE journal_lines, journal_entries, ledger_accounts, parking_payments, parking_bills, billing_settings, parking_tariffs`.execute(db);
  await sql`DROP FUNCTION journal_entry_balanced()`.execute(db);
}
