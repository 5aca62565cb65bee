import type { ColumnType, Generated } from 'kysely';

/** int8 money in fen: pg returns a string, PGlite a number or bigint; written as a string or bigint. Read through toFen(). */
export type Fen = ColumnType<string | number | bigint, string | bigint, string | bigint>;
type Json<T> = ColumnType<T, string, string>;

export interface ParkingTariffTable {
  id: Generated<string>;
  community_id: string;
  version: number;
  set_by: string;
  filing_number: string;
  decision_ref: string | null;
  /** The owners' vote that decided the tariff (migration 0019). */
  decision_vote_id: string | null;
  effective_from: Date;
  rules: Json<unknown>;
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface BillingSettingsTable {
  community_id: string;
  commission_bp: number;
  platform_fee_bp: number;
  updated_at: Generated<Date>;
}

export interface ParkingBillTable {
  id: Generated<string>;
  community_id: string;
  session_id: string;
  slot_id: string | null;
  slot_owner_id: string | null;
  tariff_id: string | null;
  tariff_version: number | null;
  plate: string;
  vehicle_class: string;
  session_kind: string;
  entry_at: Date;
  exit_at: Date;
  amount_fen: Fen;
  overstay_fen: Fen;
  owner_fen: Fen;
  commission_fen: Fen;
  platform_fee_fen: Fen;
  common_income_fen: Fen;
  commission_bp: number;
  platform_fee_bp: number;
  paid_fen: Fen;
  refunded_fen: Fen;
  exempt: string | null;
  breakdown: Json<unknown>;
  created_at: Generated<Date>;
}

export interface ParkingPaymentTable {
  id: Generated<string>;
  bill_id: string;
  community_id: string;
  kind: 'payment' | 'refund';
  provider: string;
  provider_ref: string;
  amount_fen: Fen;
  reason: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface LedgerAccountTable {
  id: Generated<string>;
  key: string;
  community_id: string;
  kind: 'asset' | 'liability' | 'revenue';
  name: string;
  owner_id: string | null;
  /** migrations/0018-fund-accounts: the unit of a maintenance-fund account. */
  unit_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface JournalEntryTable {
  id: Generated<string>;
  community_id: string;
  kind: 'bill' | 'payment' | 'refund' | 'fund_opening' | 'fund_deposit' | 'fund_share' | 'fund_interest' | 'fund_transfer' | 'common_income';
  bill_id: string | null;
  payment_id: string | null;
  memo: string;
  at: Generated<Date>;
  /** migrations/0018-fund-accounts: what a posting is of (posted once), and the local day it is booked on. */
  source: ColumnType<string | null, string | null | undefined, string | null>;
  booked_on: ColumnType<Date | string | null, string | null | undefined, string | null>;
}

export interface JournalLineTable {
  id: Generated<string>;
  entry_id: string;
  account_id: string;
  debit_fen: Fen;
  credit_fen: Fen;
}

/** An order placed with an online provider, waiting for its notification (migration 0020). */
export interface OnlinePaymentOrderTable {
  out_trade_no: string;
  provider: string;
  bill_id: string;
  community_id: string;
  amount_fen: Fen;
  status: ColumnType<'pending' | 'paid', 'pending' | 'paid' | undefined, 'pending' | 'paid'>;
  code_url: string | null;
  transaction_id: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  paid_at: Date | null;
}

/** Advertising and other common-area income received (migration 0024): the particulars of a common_income entry. */
export interface CommonIncomeReceiptTable {
  entry_id: string;
  community_id: string;
  category: 'advertising' | 'venue' | 'other';
  amount_fen: Fen;
  payer: string;
  contract_ref: string;
  period_from: ColumnType<Date | string, string, string>;
  period_to: ColumnType<Date | string, string, string>;
  received_on: ColumnType<Date | string, string, string>;
  memo: string | null;
  recorded_by: string | null;
  recorded_at: Generated<Date>;
}

export interface BillingTables {
  parking_tariffs: ParkingTariffTable;
  billing_settings: BillingSettingsTable;
  parking_bills: ParkingBillTable;
  parking_payments: ParkingPaymentTable;
  ledger_accounts: LedgerAccountTable;
  journal_entries: JournalEntryTable;
  journal_lines: JournalLineTable;
  online_payment_orders: OnlinePaymentOrderTable;
  common_income_receipts: CommonIncomeReceiptTable;
}

export function toFen(value: string | number | bigint | null | undefined): bigint {
  return value === null || value === undefined ? 0n : BigInt(value);
}
