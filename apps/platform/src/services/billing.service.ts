import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { Transaction } from 'kysely';
import { tariffRulesSchema, type BillingSettings, type CreateTariffRequest, type RecordPaymentRequest, type RefundRequest, type TariffRules } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import { hasRole, type PlatformConfig } from '../config/config';
import { localMonth, monthRange } from '../domain/business-time';
import { toCsv } from '../domain/csv';
import { can, Permission } from '../domain/permissions';
import { billEntry, paymentEntry, refundEntry, splitRevenue, UnbalancedEntryError } from '../domain/ledger';
import { capUsageOf, priceStay, type CapWindowCharge } from '../domain/parking-tariff';
import { AuditRepository } from '../repositories/audit.repository';
import { BillingRepository, BillNotFoundError, type BillRow, type MonthTotals, type PaymentRow, type SessionForBilling, type TariffRow } from '../repositories/billing.repository';
import { toFen } from '../repositories/billing.schema';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import type { Database } from '../repositories/database.schema';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { billSessionJob, jobIds } from '../repositories/job-catalogue';
import { JobRepository } from '../repositories/job.repository';
import { PaymentProviderRepository } from '../repositories/payment.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { SingletonDutyService } from './singleton-duty.service';
import { VoteService } from './vote.service';


/** Until a community configures its split: 5 % property commission, 5 % platform fee (owner 90 %). */
export const defaultSplit: BillingSettings = { commissionBp: 500, platformFeeBp: 500 };

const SWEEP_INTERVAL_MS = 5 * 60_000;
const fen = (v: string | number | bigint | null | undefined) => Number(toFen(v));

export function billStatus(b: Pick<BillRow, 'amount_fen' | 'paid_fen' | 'refunded_fen'>): 'unpaid' | 'partially_paid' | 'paid' | 'free' | 'refunded' {
  const amount = toFen(b.amount_fen);
  const paid = toFen(b.paid_fen);
  const refunded = toFen(b.refunded_fen);
  if (amount === 0n) return 'free';
  if (paid > 0n && refunded === paid) return 'refunded';
  if (paid >= amount) return 'paid';
  return paid > 0n ? 'partially_paid' : 'unpaid';
}

export function mapTariff(t: TariffRow) {
  return {
    id: t.id,
    communityId: t.community_id,
    version: t.version,
    setBy: t.set_by,
    filingNumber: t.filing_number,
    decisionRef: t.decision_ref,
    decisionVoteId: t.decision_vote_id,
    effectiveFrom: new Date(t.effective_from).toISOString(),
    rules: t.rules as TariffRules,
    createdAt: new Date(t.created_at).toISOString(),
  };
}

export function mapBill(b: BillRow) {
  return {
    id: b.id,
    communityId: b.community_id,
    sessionId: b.session_id,
    slotId: b.slot_id,
    slotOwnerId: b.slot_owner_id,
    tariffId: b.tariff_id,
    tariffVersion: b.tariff_version,
    plate: b.plate,
    vehicleClass: b.vehicle_class,
    sessionKind: b.session_kind,
    entryAt: new Date(b.entry_at).toISOString(),
    exitAt: new Date(b.exit_at).toISOString(),
    amountFen: fen(b.amount_fen),
    overstayFen: fen(b.overstay_fen),
    split: { ownerFen: fen(b.owner_fen), commissionFen: fen(b.commission_fen), platformFeeFen: fen(b.platform_fee_fen), commonIncomeFen: fen(b.common_income_fen) },
    paidFen: fen(b.paid_fen),
    refundedFen: fen(b.refunded_fen),
    status: billStatus(b),
    exempt: b.exempt,
    breakdown: b.breakdown,
    createdAt: new Date(b.created_at).toISOString(),
  };
}

function mapPayment(p: PaymentRow & { transaction_id: string | null }) {
  return { id: p.id, kind: p.kind, provider: p.provider, reference: p.provider_ref, transactionId: p.transaction_id, amountFen: fen(p.amount_fen), reason: p.reason, createdAt: new Date(p.created_at).toISOString() };
}

function mapTotals(t: MonthTotals) {
  return {
    bills: Number(t.bills ?? 0),
    revenueFen: fen(t.amount_fen),
    overstayFen: fen(t.overstay_fen),
    ownerEarningsFen: fen(t.owner_fen),
    commissionFen: fen(t.commission_fen),
    platformFeeFen: fen(t.platform_fee_fen),
    commonIncomeFen: fen(t.common_income_fen),
    collectedFen: fen(t.paid_fen),
    refundedFen: fen(t.refunded_fen),
    outstandingFen: fen(t.amount_fen) - fen(t.paid_fen),
  };
}

/**
 * Parking billing: tariff versions, pricing closed sessions (once), payments and refunds through
 * payment providers, the double-entry ledger, statements and the public disclosure.
 */
@Injectable()
export class BillingService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BillingService.name);

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: BillingRepository,
    private readonly communities: CommunityRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly bus: EventBusRepository,
    private readonly jobs: JobRepository,
    private readonly ws: WebsocketRepository,
    private readonly payments: PaymentProviderRepository,
    private readonly duties: SingletonDutyService,
    private readonly votes: VoteService,
  ) {
    this.jobs.handle(billSessionJob, async ({ sessionId }) => {
      await this.billSession(sessionId);
    });
    // Cheap on the event path: only enqueue. Billing itself is idempotent (unique bill per session).
    this.bus.on('parking.session.closed', ({ sessionId }) => {
      this.jobs.add(billSessionJob, { sessionId }, { jobId: jobIds.billSession(sessionId) }).catch((error: Error) => {
        this.logger.warn(`could not queue billing of session ${sessionId} (${error.message}); billing it now`);
        this.billSession(sessionId).catch((e: Error) => this.logger.error(`billing session ${sessionId} failed: ${e.message}`));
      });
    });
  }

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'worker')) return;
    // Recovery: sessions closed while no process could bill them (crash between close and bill),
    // by one process of the cluster, first when it takes the duty.
    this.duties.register({ name: 'billing-sweep', everyMs: SWEEP_INTERVAL_MS, run: async () => void (await this.sweepUnbilled()) });
  }

  /** Bills every closed session that has no bill yet; returns how many bills it created. */
  async sweepUnbilled(limit = 500): Promise<number> {
    let created = 0;
    for (const id of await this.repo.closedUnbilledSessionIds(limit)) {
      try {
        if ((await this.billSession(id))?.created) created++;
      } catch (error) {
        this.logger.warn(`sweep: session ${id} not billed: ${(error as Error).message}`);
      }
    }
    if (created > 0) this.logger.log(`sweep billed ${created} closed session(s)`);
    return created;
  }

  /**
   * Prices a closed session with the tariff in effect at its entry and records the bill and its
   * journal entry, exactly once. A session that is unknown or still open is skipped (null).
   */
  async billSession(sessionId: string): Promise<{ bill: BillRow; created: boolean } | null> {
    const existing = await this.repo.billBySession(sessionId);
    if (existing) return { bill: existing, created: false };
    const session = await this.repo.loadSession(sessionId);
    if (!session || session.status !== 'closed' || !session.exitAt) return null;
    const tariff = await this.repo.tariffAt(session.communityId, session.entryAt);
    const result = await this.createBill(session, tariff);
    if (result.created) {
      const b = result.bill;
      this.ws.emitToCommunity(b.community_id, 'billing.bill.created', {
        billId: b.id,
        sessionId: b.session_id,
        communityId: b.community_id,
        amountFen: fen(b.amount_fen),
        status: billStatus(b),
        tariffVersion: b.tariff_version,
        slotOwnerId: b.slot_owner_id,
        guestId: session.guestId,
        ts: this.clock.now(),
      });
    }
    return result;
  }

  private async createBill(session: SessionForBilling, tariff: TariffRow | undefined) {
    const exitAt = session.exitAt!;
    const emergency = session.kind === 'emergency';
    if (!tariff && !emergency) throw new UnrecoverableError(`community ${session.communityId} has no tariff in effect at ${session.entryAt.toISOString()}`);
    // Emergency vehicles are free whatever the tariff (§4.5); without a tariff the bill records none.
    const rules: TariffRules = tariff ? tariffRulesSchema.parse(tariff.rules) : tariffRulesSchema.parse({ pricing: { mode: 'tiered', tiers: [{ upToMinutes: 1440, amountFen: 0 }] } });
    // 多次进出: earlier stays of the plate in the same cap window count towards the cap.
    const capUsage =
      rules.cap && rules.cap.window !== 'perEntry' && !emergency
        ? capUsageOf((await this.repo.capWindowsOfPlate(session.communityId, session.plate, session.id, session.entryAt, exitAt)) as CapWindowCharge[][], rules.cap.window, session.entryAt.getTime())
        : undefined;
    const price = priceStay(
      rules,
      {
        entryAt: session.entryAt.getTime(),
        exitAt: exitAt.getTime(),
        plate: session.plate,
        vehicleClass: session.vehicleClass,
        kind: session.kind,
        newEnergy: session.energy ? true : undefined,
        bookingEndAt: session.bookingEndAt?.getTime() ?? null,
        bookingGraceMinutes: session.bookingGraceMinutes,
        capUsage,
      },
      { timeZone: this.config.timeZone },
    );
    const settings = await this.repo.settings(session.communityId);
    const rates = settings ? { commissionBp: settings.commission_bp, platformFeeBp: settings.platform_fee_bp } : defaultSplit;
    const split = splitRevenue(price.amountFen, session.slotOwnerId, rates);
    const lines = billEntry(session.communityId, price.amountFen, session.slotOwnerId, split);
    return this.repo.createBill(
      {
        community_id: session.communityId,
        session_id: session.id,
        slot_id: session.slotId,
        slot_owner_id: session.slotOwnerId,
        tariff_id: tariff?.id ?? null,
        tariff_version: tariff?.version ?? null,
        plate: session.plate,
        vehicle_class: session.vehicleClass,
        session_kind: session.kind,
        entry_at: session.entryAt,
        exit_at: exitAt,
        amount_fen: price.amountFen,
        overstay_fen: price.overstayFen,
        owner_fen: split.ownerFen,
        commission_fen: split.commissionFen,
        platform_fee_fen: split.platformFeeFen,
        common_income_fen: split.commonIncomeFen,
        commission_bp: rates.commissionBp,
        platform_fee_bp: rates.platformFeeBp,
        exempt: price.exempt,
        breakdown: { tariffVersion: tariff?.version ?? null, filingNumber: tariff?.filing_number ?? null, newEnergy: price.newEnergy, baseFen: Number(price.baseFen), overstayFen: Number(price.overstayFen), lines: price.lines, capWindows: price.capWindows },
      },
      lines,
      `parking session ${session.id} (${session.plate})`,
    );
  }

  // ---- tariffs ----

  async createTariff(user: AuthUser, communityId: string, dto: CreateTariffRequest) {
    await this.access.requireInScope(user, communityId);
    const effectiveFrom = new Date(dto.effectiveFrom);
    if (effectiveFrom.getTime() < this.clock.now() - 5 * 60_000) {
      throw new BadRequestException('effectiveFrom must not be in the past: a tariff cannot change the price of stays that have begun');
    }
    if (dto.decisionVoteId) await this.votes.requireDecision(dto.decisionVoteId, communityId);
    const row = await this.repo.insertTariff({
      community_id: communityId,
      set_by: dto.setBy,
      filing_number: dto.filingNumber,
      decision_ref: dto.decisionRef ?? null,
      decision_vote_id: dto.decisionVoteId ?? null,
      effective_from: effectiveFrom,
      rules: dto.rules,
      created_by: user.id,
    });
    await this.audit.record({ actorId: user.id, action: 'billing.tariff.created', subjectType: 'community', subjectId: communityId, detail: { tariffId: row.id, version: row.version, setBy: dto.setBy, filingNumber: dto.filingNumber, decisionVoteId: dto.decisionVoteId, effectiveFrom: dto.effectiveFrom } });
    return mapTariff(row);
  }

  async listTariffs(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    return (await this.repo.listTariffs(communityId)).map(mapTariff);
  }

  async currentTariff(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const t = await this.repo.tariffAt(communityId, new Date(this.clock.now()));
    if (!t) throw new NotFoundException(`community ${communityId} has no tariff in effect`);
    return mapTariff(t);
  }

  // ---- split settings ----

  async getSettings(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const s = await this.repo.settings(communityId);
    return { communityId, ...(s ? { commissionBp: s.commission_bp, platformFeeBp: s.platform_fee_bp } : defaultSplit), isDefault: !s };
  }

  async setSettings(user: AuthUser, communityId: string, dto: BillingSettings) {
    await this.access.requireInScope(user, communityId);
    await this.repo.upsertSettings(communityId, dto.commissionBp, dto.platformFeeBp);
    await this.audit.record({ actorId: user.id, action: 'billing.split.updated', subjectType: 'community', subjectId: communityId, detail: { ...dto } });
    return this.getSettings(user, communityId);
  }

  // ---- bills and payments ----

  /**
   * A bill in the user's scope that the user may read: any bill of the community for billing
   * readers, otherwise only one of their own (their slot earned it, or they booked the stay).
   * Anything else reads as not found.
   */
  async billFor(user: AuthUser, billId: string): Promise<BillRow> {
    const bill = await this.repo.bill(billId);
    // A visitor reaches their own bills only, wherever the stay was (issue 13 §7: they pay it online).
    if (can(user, Permission.VisitorParking)) {
      if (!bill || !(await this.isOwnBill(user, bill))) throw new NotFoundException(`bill ${billId} not found`);
      return bill;
    }
    await this.access.requireInScope(user, bill?.community_id, `bill ${billId}`);
    if (!can(user, Permission.BillingRead) && !(await this.isOwnBill(user, bill!))) throw new NotFoundException(`bill ${billId} not found`);
    return bill!;
  }

  private async isOwnBill(user: AuthUser, bill: BillRow): Promise<boolean> {
    return bill.slot_owner_id === user.id || (await this.repo.guestOfSession(bill.session_id)) === user.id;
  }

  async getBill(user: AuthUser, billId: string) {
    const bill = await this.billFor(user, billId);
    const payments = await this.repo.receipts([bill.id]);
    // Nothing of the slot's owner reaches a visitor.
    const seen = can(user, Permission.VisitorParking) ? { ...mapBill(bill), slotOwnerId: null } : mapBill(bill);
    return { ...seen, payments: payments.map(mapPayment) };
  }

  /** The bills of the stays the user booked (what they pay), with their receipts; nothing of the slot's owner. */
  async ownBills(user: AuthUser) {
    const bills = await this.repo.billsOfGuest(user.id);
    const payments = await this.repo.receipts(bills.map((b) => b.id));
    return bills.map((b) => {
      const m = mapBill(b);
      return {
        id: m.id,
        communityId: m.communityId,
        sessionId: m.sessionId,
        bookingId: b.booking_id,
        plate: m.plate,
        entryAt: m.entryAt,
        exitAt: m.exitAt,
        amountFen: m.amountFen,
        paidFen: m.paidFen,
        refundedFen: m.refundedFen,
        status: m.status,
        payments: payments.filter((p) => p.bill_id === b.id).map(mapPayment),
      };
    });
  }

  async billOfSession(user: AuthUser, sessionId: string) {
    const bill = await this.repo.billBySession(sessionId);
    if (!bill) throw new NotFoundException(`session ${sessionId} has no bill`);
    return this.getBill(user, bill.id);
  }

  async listBills(user: AuthUser, communityId: string, month?: string) {
    await this.access.requireInScope(user, communityId);
    const { from, to } = monthRange(month ?? localMonth(this.clock.now(), this.config.timeZone), this.config.timeZone);
    return (await this.repo.listBills(communityId, new Date(from), new Date(to))).map(mapBill);
  }

  async recordPayment(user: AuthUser, billId: string, dto: RecordPaymentRequest) {
    const bill = await this.billFor(user, billId);
    const provider = this.payments.get(dto.provider);
    if (!provider) throw new BadRequestException(`unknown payment provider ${dto.provider} (known: ${this.payments.names().join(', ')})`);
    if (provider.online) throw new BadRequestException(`${provider.name} payments are made by the payer and booked from the provider's notification`);
    const amount = BigInt(dto.amountFen);
    if (amount > toFen(bill.amount_fen) - toFen(bill.paid_fen)) throw new ConflictException(`payment of ${dto.amountFen} fen exceeds the ${toFen(bill.amount_fen) - toFen(bill.paid_fen)} fen due`);
    const result = await provider.charge({ billId, amountFen: amount, reference: dto.reference });
    if (result.status !== 'succeeded') throw new ConflictException(`payment ${result.status}: ${result.message ?? 'not completed'}`);
    const updated = await this.inBillTransaction(billId, async (tx, locked) => {
      const due = toFen(locked.amount_fen) - toFen(locked.paid_fen);
      if (amount > due) throw new ConflictException(`payment of ${dto.amountFen} fen exceeds the ${due} fen due`);
      return this.bookPayment(tx, locked, provider.name, result.providerRef, amount, user.id);
    });
    await this.audit.record({ actorId: user.id, action: 'billing.payment.recorded', subjectType: 'parking_bill', subjectId: billId, detail: { provider: provider.name, reference: result.providerRef, amountFen: dto.amountFen } });
    this.bus.emit('billing.bill.paid', { billId, communityId: updated.community_id });
    return this.getBill(user, updated.id);
  }

  /**
   * The bill of a stay at the exit lane, priced now if it has none yet (once: the same
   * idempotent billing as the closed-session job and sweep), with when it was last paid.
   * Null when the session is unknown or open.
   */
  async billForExit(sessionId: string): Promise<{ bill: BillRow; paidAt: number | null } | null> {
    const result = await this.billSession(sessionId);
    if (!result) return null;
    const last = (await this.repo.payments(result.bill.id)).filter((p) => p.kind === 'payment').at(-1);
    return { bill: result.bill, paidAt: last ? new Date(last.created_at).getTime() : null };
  }

  /** Books a payment the provider has confirmed, under the bill's lock: the payment, its journal entry and the bill's totals. */
  async bookPayment(tx: Transaction<Database>, locked: BillRow, provider: string, providerRef: string, amount: bigint, createdBy: string | null): Promise<BillRow> {
    const payment = await this.repo.insertPayment(tx, { bill_id: locked.id, community_id: locked.community_id, kind: 'payment', provider, provider_ref: providerRef, amount_fen: amount, reason: null, created_by: createdBy });
    await this.repo.postJournal(tx, { communityId: locked.community_id, kind: 'payment', billId: locked.id, paymentId: payment.id, memo: `payment ${provider} ${providerRef}` }, paymentEntry(locked.community_id, provider, amount));
    return this.repo.updateBillTotals(tx, locked.id, toFen(locked.paid_fen) + amount, toFen(locked.refunded_fen));
  }

  async refund(user: AuthUser, billId: string, dto: RefundRequest) {
    const bill = await this.billFor(user, billId);
    const amount = BigInt(dto.amountFen);
    const refundable = toFen(bill.paid_fen) - toFen(bill.refunded_fen);
    if (amount > refundable) throw new ConflictException(`refund of ${dto.amountFen} fen exceeds the ${refundable} fen paid and not refunded`);
    const last = (await this.repo.payments(billId)).filter((p) => p.kind === 'payment').at(-1)!;
    const provider = this.payments.get(last.provider);
    if (!provider) throw new ConflictException(`payment provider ${last.provider} is not available in this process`);
    const result = await provider.refund({ billId, amountFen: amount, reference: dto.reference, originalRef: last.provider_ref, originalAmountFen: toFen(last.amount_fen) });
    if (result.status !== 'succeeded') throw new ConflictException(`refund ${result.status}: ${result.message ?? 'not completed'}`);
    await this.inBillTransaction(billId, async (tx, locked) => {
      const left = toFen(locked.paid_fen) - toFen(locked.refunded_fen);
      if (amount > left) throw new ConflictException(`refund of ${dto.amountFen} fen exceeds the ${left} fen paid and not refunded`);
      const payment = await this.repo.insertPayment(tx, { bill_id: billId, community_id: locked.community_id, kind: 'refund', provider: provider.name, provider_ref: result.providerRef, amount_fen: amount, reason: dto.reason, created_by: user.id });
      const rates = { commissionBp: locked.commission_bp, platformFeeBp: locked.platform_fee_bp };
      await this.repo.postJournal(tx, { communityId: locked.community_id, kind: 'refund', billId, paymentId: payment.id, memo: `refund ${provider.name} ${result.providerRef}: ${dto.reason}` }, refundEntry(locked.community_id, provider.name, amount, locked.slot_owner_id, rates));
      return this.repo.updateBillTotals(tx, billId, toFen(locked.paid_fen), toFen(locked.refunded_fen) + amount);
    });
    await this.audit.record({ actorId: user.id, action: 'billing.refund.recorded', subjectType: 'parking_bill', subjectId: billId, detail: { provider: provider.name, reference: result.providerRef, amountFen: dto.amountFen, reason: dto.reason } });
    return this.getBill(user, billId);
  }

  async inBillTransaction<T>(billId: string, fn: (tx: Transaction<Database>, bill: BillRow) => Promise<T>): Promise<T> {
    try {
      return await this.repo.withLockedBill(billId, fn);
    } catch (error) {
      if (error instanceof BillNotFoundError) throw new NotFoundException(error.message);
      if (isUniqueViolation(error)) throw new ConflictException('this payment reference is already recorded');
      if (error instanceof UnbalancedEntryError) throw new ConflictException(error.message);
      throw error;
    }
  }

  // ---- ledger and statements ----

  async ledger(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const rows = await this.repo.accountBalances(communityId);
    let debits = 0n;
    let credits = 0n;
    const accounts = rows.map((r) => {
      const d = toFen(r.debit_fen);
      const c = toFen(r.credit_fen);
      debits += d;
      credits += c;
      return { key: r.key, kind: r.kind, name: r.name, ownerId: r.owner_id, debitFen: Number(d), creditFen: Number(c), balanceFen: Number(r.kind === 'asset' ? d - c : c - d) };
    });
    const unbalancedEntries = await this.repo.unbalancedEntries(communityId);
    return { communityId, accounts, totalDebitFen: Number(debits), totalCreditFen: Number(credits), balanced: debits === credits && unbalancedEntries.length === 0, unbalancedEntries };
  }

  private range(month: string) {
    const { from, to } = monthRange(month, this.config.timeZone);
    return { from: new Date(from), to: new Date(to) };
  }

  async communityStatement(user: AuthUser, communityId: string, month: string) {
    const community = await this.access.requireInScope(user, communityId);
    const { from, to } = this.range(month);
    return { communityId, communityName: community.name, month, timeZone: this.config.timeZone, ...mapTotals(await this.repo.monthTotals({ communityId }, from, to)) };
  }

  async communityStatementCsv(user: AuthUser, communityId: string, month: string): Promise<string> {
    await this.communityStatement(user, communityId, month);
    const { from, to } = this.range(month);
    const bills = await this.repo.listBills(communityId, from, to);
    return toCsv(
      ['bill_id', 'exit_at', 'plate', 'kind', 'slot_owner_id', 'tariff_version', 'amount_fen', 'owner_fen', 'commission_fen', 'platform_fee_fen', 'common_income_fen', 'paid_fen', 'refunded_fen', 'status'],
      bills.map((b) => [b.id, new Date(b.exit_at).toISOString(), b.plate, b.session_kind, b.slot_owner_id, b.tariff_version, fen(b.amount_fen), fen(b.owner_fen), fen(b.commission_fen), fen(b.platform_fee_fen), fen(b.common_income_fen), fen(b.paid_fen), fen(b.refunded_fen), billStatus(b)]),
    );
  }

  async ownerEarnings(user: AuthUser, month: string) {
    const { from, to } = this.range(month);
    const bills = await this.repo.ownerBills(user.id, from, to);
    return {
      ownerId: user.id,
      month,
      timeZone: this.config.timeZone,
      ...mapTotals(await this.repo.monthTotals({ ownerId: user.id }, from, to)),
      items: bills.map((b) => ({ billId: b.id, communityId: b.community_id, slotId: b.slot_id, exitAt: new Date(b.exit_at).toISOString(), amountFen: fen(b.amount_fen), commissionFen: fen(b.commission_fen), platformFeeFen: fen(b.platform_fee_fen), ownerFen: fen(b.owner_fen), status: billStatus(b) })),
    };
  }

  async ownerEarningsCsv(user: AuthUser, month: string): Promise<string> {
    const e = await this.ownerEarnings(user, month);
    return toCsv(
      ['bill_id', 'community_id', 'slot_id', 'exit_at', 'amount_fen', 'commission_fen', 'platform_fee_fen', 'owner_fen', 'status'],
      e.items.map((i) => [i.billId, i.communityId, i.slotId, i.exitAt, i.amountFen, i.commissionFen, i.platformFeeFen, i.ownerFen, i.status]),
    );
  }

  /** Public (no login): the community's parking revenue, common income and current tariff with its filing number. */
  async disclosure(communityId: string, month?: string) {
    const community = await this.communities.findById(communityId);
    if (!community) throw new NotFoundException(`community ${communityId} not found`);
    const m = month ?? localMonth(this.clock.now(), this.config.timeZone);
    const { from, to } = this.range(m);
    const totals = mapTotals(await this.repo.monthTotals({ communityId }, from, to));
    const current = await this.repo.tariffAt(communityId, new Date(this.clock.now()));
    const versions = await this.repo.listTariffs(communityId);
    return {
      community: { id: community.id, name: community.name, district: community.district, street: community.street },
      month: m,
      timeZone: this.config.timeZone,
      revenueFen: totals.revenueFen,
      commonIncomeFen: totals.commonIncomeFen,
      ownerEarningsFen: totals.ownerEarningsFen,
      commissionFen: totals.commissionFen,
      platformFeeFen: totals.platformFeeFen,
      collectedFen: totals.collectedFen,
      refundedFen: totals.refundedFen,
      bills: totals.bills,
      currentTariff: current ? { version: current.version, setBy: current.set_by, filingNumber: current.filing_number, decisionRef: current.decision_ref, decisionVoteId: current.decision_vote_id, effectiveFrom: new Date(current.effective_from).toISOString(), rules: current.rules as TariffRules } : null,
      tariffHistory: versions.map((v) => ({ version: v.version, setBy: v.set_by, filingNumber: v.filing_number, effectiveFrom: new Date(v.effective_from).toISOString() })),
    };
  }
}
