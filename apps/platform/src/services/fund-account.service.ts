import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { FUND_OPENING_MAX_ROWS, type CommonIncomeReceipt, type CommonIncomeRequest, type FundDepositRequest, type FundInterestRequest, type FundOpeningResult, type FundTransferRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { localDate, monthRange } from '../domain/business-time';
import { ImportFileError } from '../domain/csv-import';
import {
  allocateInterest,
  allocateTransfer,
  depositEntry,
  interestEntry,
  openingEntry,
  shareEntry,
  statementAddsUp,
  sumStatements,
  transferEntry,
  unitStatements,
  type FundStatement,
  type UnitAmount,
} from '../domain/fund-account';
import { parseOpeningFile, validateOpeningRows } from '../domain/fund-opening-import';
import type { ImportUpload } from '../domain/import-file';
import { accounts, commonIncomeEntry } from '../domain/ledger';
import { can, Permission } from '../domain/permissions';
import { unitKey } from '../domain/unit-import';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { FundAccountRepository, type FundUnitRow } from '../repositories/fund-account.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { UnitRepository } from '../repositories/unit.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

const n = (fen: bigint) => Number(fen);
const statementView = (s: FundStatement) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, n(v)])) as Record<keyof FundStatement, number>;
const unitView = ({ unitId, communityId, building, number, floorArea }: FundUnitRow) => ({ unitId, communityId, building, number, floorArea });

/**
 * Maintenance-fund accounts per unit (专项维修资金分户账, issue 13 §4): opening balances, deposits,
 * the shares of disclosed green-channel cases, interest and transfers of common income, each one
 * balanced entry in the community ledger posted once (domain/fund-account.ts); balances,
 * movements and yearly statements for owners (their own units) and the community's staff. Each
 * posting that moves unit accounts is pushed live (`fund.account.movement`) once it committed,
 * to each unit's verified owners and to those of the community who read every account.
 */
@Injectable()
export class FundAccountService {
  private readonly logger = new Logger(FundAccountService.name);

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly ledger: FundAccountRepository,
    private readonly access: AccessService,
    private readonly units: UnitRepository,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly websocket: WebsocketRepository,
    outbox: OutboxRepository,
  ) {
    // Written in the disclosing transaction (fund.service.ts); a repeat relay finds the case posted.
    outbox.handle('fund-account.case-shares', ({ caseId }) => this.takeCaseShares(caseId).then(() => undefined));
  }

  // ---------------------------------------------------------------- postings

  async importOpening(user: AuthUser, communityId: string, file: ImportUpload, asOf: string): Promise<FundOpeningResult> {
    await this.access.requireInScope(user, communityId);
    this.requireNotFuture(asOf);
    const rows = await parseOpeningFile(file).catch((error: unknown) => {
      throw error instanceof ImportFileError ? new BadRequestException(error.message) : error;
    });
    if (rows.length === 0) throw new BadRequestException('the import holds no balances');
    if (rows.length > FUND_OPENING_MAX_ROWS) throw new BadRequestException(`an import takes at most ${FUND_OPENING_MAX_ROWS} rows, this one has ${rows.length}`);
    const units = new Map((await this.ledger.unitsOf(communityId)).map((u) => [unitKey(u.building, u.number), u.unitId]));
    const opened = new Set((await this.ledger.sourcesLike(communityId, 'opening:')).map((s) => s.slice('opening:'.length)));
    const { valid, rejected } = validateOpeningRows(rows, units, opened);
    let posted = 0;
    let totalFen = 0n;
    await this.ledger.transaction(async (tx) => {
      for (const r of valid.filter((v) => v.fen > 0n)) {
        const id = await this.ledger.post(tx, { communityId, kind: 'fund_opening', source: `opening:${r.unitId}`, bookedOn: asOf, memo: `opening balance (import row ${r.row})` }, openingEntry(communityId, r.unitId, r.fen));
        if (id === null) rejected.push({ row: r.row, reason: 'already has an opening balance' });
        else {
          posted++;
          totalFen += r.fen;
        }
      }
    });
    // A zero balance opens nothing: the account starts with the first deposit.
    posted += valid.filter((v) => v.fen === 0n).length;
    rejected.sort((a, b) => a.row - b.row);
    await this.audit.record({ actorId: user.id, action: 'fund.account.opening_imported', subjectType: 'community', subjectId: communityId, detail: { rows: rows.length, posted, totalFen: n(totalFen), rejected: rejected.length, asOf } });
    return { rows: rows.length, posted, totalFen: n(totalFen), rejected };
  }

  async deposit(user: AuthUser, unitId: string, dto: FundDepositRequest) {
    const unit = await this.requireUnit(user, unitId);
    this.requireNotFuture(dto.depositedOn);
    const fen = BigInt(dto.amountFen);
    const entryId = await this.postOnce(
      { communityId: unit.communityId, kind: 'fund_deposit', source: `deposit:${unit.communityId}:${dto.reference}`, bookedOn: dto.depositedOn, memo: `deposit ${dto.reference}` },
      depositEntry(unit.communityId, unitId, fen),
      `deposit ${dto.reference} is already booked`,
    );
    await this.announce(entryId);
    await this.audit.record({ actorId: user.id, action: 'fund.account.deposit', subjectType: 'unit', subjectId: unitId, detail: { ...dto, entryId } });
    return { entryId, totalFen: dto.amountFen, allocations: [{ unitId, amountFen: dto.amountFen }] };
  }

  /** Interest for a community on a day: each account's balance that day (deposits of the day included) × rate, split to the fen. */
  async postInterest(user: AuthUser, communityId: string, dto: FundInterestRequest) {
    await this.access.requireInScope(user, communityId);
    this.requireNotFuture(dto.postedOn);
    const result = await this.ledger.transaction(async (tx) => {
      const balances = await this.ledger.balances(communityId, dto.postedOn, tx);
      const { totalFen, amounts } = allocateInterest(dto.rate, [...balances].map(([unitId, fen]) => ({ unitId, fen })));
      if (totalFen === 0n) throw new BadRequestException('no interest: the accounts hold nothing at that rate');
      const entryId = await this.ledger.post(tx, { communityId, kind: 'fund_interest', source: `interest:${communityId}:${dto.postedOn}`, bookedOn: dto.postedOn, memo: `interest at ${dto.rate}` }, interestEntry(communityId, amounts));
      if (entryId === null) throw new ConflictException(`interest of ${dto.postedOn} is already booked`);
      return { entryId, totalFen, amounts };
    });
    await this.announce(result.entryId);
    await this.audit.record({ actorId: user.id, action: 'fund.account.interest', subjectType: 'community', subjectId: communityId, detail: { ...dto, entryId: result.entryId, totalFen: n(result.totalFen) } });
    return this.postingView(result.entryId, result.totalFen, result.amounts);
  }

  /** Common income into the fund (004 三(四)3(1)), split over the community's units by floor area; never more than common income holds. */
  async transfer(user: AuthUser, communityId: string, dto: FundTransferRequest) {
    await this.access.requireInScope(user, communityId);
    this.requireNotFuture(dto.postedOn);
    const fen = BigInt(dto.amountFen);
    const result = await this.ledger.transaction(async (tx) => {
      const available = await this.ledger.lockCommonIncome(tx, accounts.commonIncome(communityId).key);
      if (fen > available) throw new ConflictException(`common income holds ${n(available)} fen, less than ${dto.amountFen}`);
      const units = await this.ledger.unitsOf(communityId, tx);
      if (units.length === 0) throw new BadRequestException('the community has no units');
      const amounts = allocateTransfer(fen, units);
      const entryId = await this.ledger.post(
        tx,
        { communityId, kind: 'fund_transfer', source: `transfer:${communityId}:${dto.reference}`, bookedOn: dto.postedOn, memo: dto.memo ? `common income ${dto.reference}: ${dto.memo}` : `common income ${dto.reference}` },
        transferEntry(communityId, amounts),
      );
      if (entryId === null) throw new ConflictException(`transfer ${dto.reference} is already booked`);
      return { entryId, amounts };
    });
    await this.announce(result.entryId);
    await this.audit.record({ actorId: user.id, action: 'fund.account.transfer', subjectType: 'community', subjectId: communityId, detail: { ...dto, entryId: result.entryId } });
    return this.postingView(result.entryId, fen, result.amounts);
  }

  /**
   * Advertising (or other common-area) income received (004 三(四)4(2)): one entry crediting the
   * community's common income, which the transfers above then move into the fund by floor area,
   * with its particulars for the public board. A contract's period is booked once.
   */
  async recordCommonIncome(user: AuthUser, communityId: string, dto: CommonIncomeRequest) {
    await this.access.requireInScope(user, communityId);
    this.requireNotFuture(dto.receivedOn);
    const receipt: Omit<CommonIncomeReceipt, 'entryId'> = {
      communityId,
      category: dto.category,
      amountFen: dto.amountFen,
      payer: dto.payer,
      contractRef: dto.contractRef,
      periodFrom: dto.periodFrom,
      periodTo: dto.periodTo,
      receivedOn: dto.receivedOn,
      memo: dto.memo ?? null,
    };
    const entryId = await this.ledger.transaction(async (tx) => {
      const id = await this.ledger.post(
        tx,
        { communityId, kind: 'common_income', source: `common-income:${communityId}:${dto.contractRef}:${dto.periodFrom}`, bookedOn: dto.receivedOn, memo: `${dto.category} ${dto.contractRef} (${dto.periodFrom}–${dto.periodTo}): ${dto.payer}`.slice(0, 200) },
        commonIncomeEntry(communityId, BigInt(dto.amountFen)),
      );
      if (id === null) throw new ConflictException(`contract ${dto.contractRef}'s income from ${dto.periodFrom} is already booked`);
      await this.ledger.recordCommonIncome(tx, id, receipt, user.id);
      return id;
    });
    const commonIncomeFen = n(await this.ledger.commonIncomeBalance(accounts.commonIncome(communityId).key));
    await this.audit.record({ actorId: user.id, action: 'fund.common_income.recorded', subjectType: 'community', subjectId: communityId, detail: { ...dto, entryId } });
    return { entryId, ...receipt, commonIncomeFen };
  }

  /** Advertising and other common-area income received in a local month 'YYYY-MM', for the public board. */
  async commonIncomeOfMonth(communityId: string, month: string): Promise<CommonIncomeReceipt[]> {
    const { from, to } = monthRange(month, this.config.timeZone);
    return this.ledger.commonIncomeReceipts(communityId, localDate(from, this.config.timeZone), localDate(to - 1, this.config.timeZone));
  }

  /**
   * Takes a disclosed case's shares (stored at disclosure, fund_shares) from the unit accounts:
   * one entry whose source is the case, so a relay after a crash or a second process posts nothing.
   * Returns whether this call posted it.
   */
  async takeCaseShares(caseId: string): Promise<boolean> {
    const found = await this.ledger.caseShares(caseId);
    if (!found || found.state !== 'disclosed' || !found.shares.some((s) => s.fen > 0n)) return false;
    const { communityId } = found;
    const bookedOn = localDate((found.disclosedOn ?? new Date(this.clock.now())).getTime(), this.config.timeZone);
    const entryId = await this.ledger.transaction((tx) =>
      this.ledger.post(tx, { communityId, kind: 'fund_share', source: `case:${caseId}`, bookedOn, memo: `green channel: ${found.title}`.slice(0, 200) }, shareEntry(communityId, found.shares)),
    );
    if (entryId) await this.announce(entryId);
    if (entryId) await this.audit.record({ actorId: null, action: 'fund.account.case_shares', subjectType: 'fund_case', subjectId: caseId, detail: { entryId, units: found.shares.length } });
    return entryId !== null;
  }

  /**
   * Pushes a committed posting's movements: one event per unit account it moved, with the
   * account's balance read after the commit, to the unit's verified owners and the community's
   * readers of every account. Called only once the posting's transaction has resolved, so no
   * event tells of a posting that was rolled back; a failure here is logged, the posting stands.
   */
  private async announce(entryId: string): Promise<void> {
    try {
      const moved = await this.ledger.entryMovements(entryId);
      if (moved.length === 0) return;
      const { communityId } = moved[0];
      const [balances, owners] = await Promise.all([this.ledger.balances(communityId), this.units.verifiedOwnersOf(moved.map((m) => m.unitId))]);
      const ts = this.clock.now();
      for (const m of moved) {
        this.websocket.emitToCommunity(communityId, 'fund.account.movement', {
          communityId,
          unitId: m.unitId,
          entryId,
          kind: m.kind,
          bookedOn: m.bookedOn,
          amountFen: n(m.fen),
          memo: m.memo,
          balanceFen: n(balances.get(m.unitId) ?? 0n),
          ownerIds: owners.get(m.unitId) ?? [],
          ts,
        });
      }
    } catch (error) {
      this.logger.warn(`posting ${entryId} committed but not pushed live: ${(error as Error).message}`);
    }
  }

  private async postOnce(posting: Parameters<FundAccountRepository['post']>[1], lines: Parameters<FundAccountRepository['post']>[2], duplicate: string): Promise<string> {
    const entryId = await this.ledger.transaction((tx) => this.ledger.post(tx, posting, lines));
    if (entryId === null) throw new ConflictException(duplicate);
    return entryId;
  }

  private requireNotFuture(day: string): void {
    if (day > localDate(this.clock.now(), this.config.timeZone)) throw new BadRequestException(`${day} is in the future`);
  }

  private postingView(entryId: string, totalFen: bigint, amounts: UnitAmount[]) {
    return { entryId, totalFen: n(totalFen), allocations: amounts.filter((a) => a.fen > 0n).map((a) => ({ unitId: a.unitId, amountFen: n(a.fen) })) };
  }

  // ---------------------------------------------------------------- reading

  /**
   * A unit the caller may see: its community in scope (else 404), and, without the right to read
   * every account, one of the caller's own verified units (else the same 404).
   */
  private async requireUnit(user: AuthUser, unitId: string): Promise<FundUnitRow> {
    const unit = await this.ledger.unit(unitId);
    await this.access.requireInScope(user, unit?.communityId, `unit ${unitId}`);
    if (!can(user, Permission.FundAccountReadAll)) {
      const own = await this.units.verifiedOwnerHoldings(user.id, [unit!.communityId]);
      if (!own.some((h) => h.unitId === unitId)) throw new NotFoundException(`unit ${unitId} not found`);
    }
    return unit!;
  }

  /** The caller's own units (verified owner) in every community they see, with balances. */
  async mine(user: AuthUser) {
    const holdings = await this.units.verifiedOwnerHoldings(user.id, await this.access.visibleCommunityIds(user));
    const units = await this.ledger.unitsByIds(holdings.map((h) => h.unitId));
    const balances = new Map<string, Map<string, bigint>>();
    for (const c of new Set(units.map((u) => u.communityId))) balances.set(c, await this.ledger.balances(c));
    return units.map((u) => ({ ...unitView(u), balanceFen: n(balances.get(u.communityId)!.get(u.unitId) ?? 0n) }));
  }

  async communityAccounts(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const [units, balances] = await Promise.all([this.ledger.unitsOf(communityId), this.ledger.balances(communityId)]);
    return units.map((u) => ({ ...unitView(u), balanceFen: n(balances.get(u.unitId) ?? 0n) }));
  }

  async unitAccount(user: AuthUser, unitId: string) {
    const unit = await this.requireUnit(user, unitId);
    const movements = await this.ledger.unitMovements(unitId);
    const balanceFen = movements.reduce((s, m) => s + m.fen, 0n);
    return {
      ...unitView(unit),
      balanceFen: n(balanceFen),
      movements: movements.map((m) => ({ entryId: m.entryId, kind: m.kind, bookedOn: m.bookedOn, amountFen: n(m.fen), memo: m.memo })),
    };
  }

  private thisYear(): number {
    return Number(localDate(this.clock.now(), this.config.timeZone).slice(0, 4));
  }

  async unitStatement(user: AuthUser, unitId: string, year = this.thisYear()) {
    const unit = await this.requireUnit(user, unitId);
    const movements = (await this.ledger.unitMovements(unitId)).filter((m) => m.bookedOn <= `${year}-12-31`);
    return { ...unitView(unit), year, statement: statementView(unitStatements(movements, year, [unitId]).get(unitId)!) };
  }

  /** Every unit's statement, their sum, and the ledger's unit-account balance at the year's end summed apart, to prove they agree. */
  async communityStatement(user: AuthUser, communityId: string, year = this.thisYear()) {
    await this.access.requireInScope(user, communityId);
    const yearEnd = `${year}-12-31`;
    const [units, movements, ledger] = await Promise.all([this.ledger.unitsOf(communityId), this.ledger.movements(communityId, yearEnd), this.ledger.balances(communityId, yearEnd)]);
    const perUnit = unitStatements(movements, year, units.map((u) => u.unitId));
    const total = sumStatements(perUnit.values());
    const ledgerClosingFen = [...ledger.values()].reduce((s, v) => s + v, 0n);
    return {
      communityId,
      year,
      total: statementView(total),
      units: units.map((u) => ({ ...unitView(u), year, statement: statementView(perUnit.get(u.unitId)!) })),
      ledgerClosingFen: n(ledgerClosingFen),
      reconciled: ledgerClosingFen === total.closingFen && statementAddsUp(total) && [...perUnit.values()].every(statementAddsUp),
    };
  }
}
