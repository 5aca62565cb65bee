import { Injectable } from '@nestjs/common';
import { type Kysely, type Selectable, type Transaction } from 'kysely';
import type { OnlinePaymentOrderTable } from './billing.schema';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';

export type OnlinePaymentOrderRow = Selectable<OnlinePaymentOrderTable>;

/** Orders placed with online payment providers, and the provider's movements as the platform booked them. */
@Injectable()
export class OnlinePaymentRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  async insertOrder(values: { out_trade_no: string; provider: string; bill_id: string; community_id: string; amount_fen: bigint; code_url: string | null; created_by: string | null }): Promise<OnlinePaymentOrderRow> {
    return this.db.insertInto('online_payment_orders').values({ ...values, amount_fen: String(values.amount_fen) }).returningAll().executeTakeFirstOrThrow();
  }

  /** A pending order of the bill for this amount: shown again rather than a second QR code that could be paid twice. */
  pendingOrder(provider: string, billId: string, amountFen: bigint): Promise<OnlinePaymentOrderRow | undefined> {
    return this.db
      .selectFrom('online_payment_orders')
      .selectAll()
      .where('provider', '=', provider)
      .where('bill_id', '=', billId)
      .where('amount_fen', '=', String(amountFen))
      .where('status', '=', 'pending')
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
  }

  order(outTradeNo: string): Promise<OnlinePaymentOrderRow | undefined> {
    return this.db.selectFrom('online_payment_orders').selectAll().where('out_trade_no', '=', outTradeNo).executeTakeFirst();
  }

  /** The order under the bill's transaction, locked: two deliveries of one notification are serialised. */
  lockedOrder(tx: Transaction<Database>, outTradeNo: string): Promise<OnlinePaymentOrderRow | undefined> {
    return tx.selectFrom('online_payment_orders').selectAll().where('out_trade_no', '=', outTradeNo).forUpdate().executeTakeFirst();
  }

  async markPaid(tx: Transaction<Database>, outTradeNo: string, transactionId: string, at: Date): Promise<void> {
    await tx.updateTable('online_payment_orders').set({ status: 'paid', transaction_id: transactionId, paid_at: at }).where('out_trade_no', '=', outTradeNo).execute();
  }

  /** Payments and refunds booked for a provider in [from, to). */
  movements(provider: string, from: Date, to: Date) {
    return this.db
      .selectFrom('parking_payments')
      .select(['kind', 'provider_ref', 'amount_fen'])
      .where('provider', '=', provider)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .execute();
  }
}
