import { type Kysely, sql } from 'kysely';

/**
 * Online payment orders (issue 13 §7): an order placed with a provider (WeChat Pay Native) for a
 * parking bill, waiting for the provider's notification. The payment itself is booked in
 * parking_payments (0005) when the notification is verified; out_trade_no is its provider_ref.
 */
const statements = [
  `CREATE TABLE online_payment_orders (
      out_trade_no text PRIMARY KEY,
      provider text NOT NULL,
      bill_id uuid NOT NULL REFERENCES parking_bills (id),
      community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
      amount_fen bigint NOT NULL CHECK (amount_fen > 0),
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid')),
      code_url text,
      transaction_id text,
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      paid_at timestamptz
    )`,
  `CREATE INDEX online_payment_orders_bill_idx ON online_payment_orders (bill_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE online_payment_orders`.execute(db);
}
