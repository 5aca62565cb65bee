import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { boardSections, type BoardItem, type BoardSection, type CommitteeSection, type PublishBoardItemRequest, type PublishCommitteeItemRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { committeeSectionRules, mayPublishCommitteeSection } from '../domain/committee-board';
import { AuditRepository } from '../repositories/audit.repository';
import { BoardRepository, type BoardItemRow } from '../repositories/board.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { ParkingRepository } from '../repositories/parking.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { BillingService } from './billing.service';
import { CommitteeBoardService } from './committee-board.service';
import { FundAccountService } from './fund-account.service';
import { FundService } from './fund.service';
import { MaintenanceService } from './maintenance.service';
import { ParkingGateService } from './parking-gate.service';
import { SlotLotteryService } from './slot-lottery.service';
import { VoteService } from './vote.service';

/** Who may publish on a community's disclosure board (within their scope). */

const AUDIT_SUBJECT = 'community';
/** Sections the board fills from the maintenance company's records (issue 12 §4), never typed in. */
const recordSections: ReadonlySet<BoardSection> = new Set(['elevator_maintenance_records', 'elevator_inspection_records']);
const AUDIT_ACTION = 'board.item.published';

/**
 * The public disclosure board (公示栏) of a community. Administrators publish sections (each a
 * new version, audited); the public board assembles the latest version of each with sections
 * derived live from parking, billing and the maintenance fund, every one with its last update.
 */
@Injectable()
export class BoardService {
  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: BoardRepository,
    private readonly communities: CommunityRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly billing: BillingService,
    private readonly fund: FundService,
    private readonly parking: ParkingRepository,
    private readonly gates: ParkingGateService,
    private readonly votes: VoteService,
    private readonly maintenance: MaintenanceService,
    private readonly committee: CommitteeBoardService,
    private readonly lotteries: SlotLotteryService,
    private readonly fundAccounts: FundAccountService,
  ) {}

  async publish(user: AuthUser, communityId: string, dto: PublishBoardItemRequest): Promise<BoardItem> {
    await this.access.requireInScope(user, communityId);
    if (recordSections.has(dto.section)) throw new BadRequestException(`${dto.section} is filled from the maintenance records (api/v1/maintenance), not published`);
    return this.store(user, communityId, dto.section, dto.content);
  }

  /** A committee publishes one of its own sections (domain/committee-board.ts) of its community. */
  async publishCommittee(user: AuthUser, communityId: string, dto: PublishCommitteeItemRequest): Promise<BoardItem> {
    await this.access.requireInScope(user, communityId);
    if (!mayPublishCommitteeSection(user.role, dto.section)) throw new ForbiddenException(`${dto.section} is published by the ${committeeSectionRules[dto.section].publisherRole}`);
    return this.store(user, communityId, dto.section, dto.content);
  }

  /** The next version of a section, audited. */
  private async store(user: AuthUser, communityId: string, section: BoardSection | CommitteeSection, content: unknown): Promise<BoardItem> {
    const row = await this.repo.publish({ community_id: communityId, section, content, published_by: user.id, published_at: new Date(this.clock.now()) });
    await this.audit.record({
      actorId: user.id,
      action: AUDIT_ACTION,
      subjectType: AUDIT_SUBJECT,
      subjectId: communityId,
      detail: { itemId: row.id, section: row.section, version: row.version, username: user.username, role: user.role, publishedAt: toIso(row.published_at) },
    });
    return mapItem(row);
  }

  async history(user: AuthUser, communityId: string, section: BoardSection): Promise<BoardItem[]> {
    await this.access.requireInScope(user, communityId);
    return (await this.repo.history(communityId, section)).map(mapItem);
  }

  /** The audit trail of the board's publications (who published which version, when). */
  async auditTrail(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const rows = await this.audit.forSubject(AUDIT_SUBJECT, communityId);
    return rows
      .filter((r) => r.action === AUDIT_ACTION)
      .map((r) => ({ id: String(r.id), at: toIso(r.at), actorId: r.actor_id, action: r.action, detail: r.detail }));
  }

  /** Public (no login): the whole board. */
  async board(communityId: string) {
    const community = await this.communities.findById(communityId);
    if (!community) throw new NotFoundException(`community ${communityId} not found`);
    const now = this.clock.now();
    const generatedAt = new Date(now).toISOString();
    const [latest, parking, fund, inNotice, slots, decisions, records, lotteries] = await Promise.all([
      this.repo.latest(communityId),
      this.billing.disclosure(communityId),
      this.fund.disclosure(communityId),
      this.fund.inNotice(communityId),
      this.parking.slotsOf({ communityId }),
      this.votes.published(communityId),
      this.maintenance.boardSections(communityId),
      this.lotteries.published(communityId),
    ]);

    const sections: Record<string, { version: number; lastUpdated: string; content: unknown; source?: 'published' | 'records' } | null> = {};
    for (const s of boardSections) sections[s] = null;
    for (const row of latest) {
      if (boardSections.includes(row.section as BoardSection) && !recordSections.has(row.section as BoardSection)) sections[row.section] = { version: row.version, lastUpdated: toIso(row.published_at), content: row.content, source: 'published' };
    }
    Object.assign(sections, records);

    // Advertising and other common-area income of the month parking's figures are of, beside them.
    const otherIncome = await this.fundAccounts.commonIncomeOfMonth(communityId, parking.month);
    const occupancy = this.gates.occupancy(communityId);
    const live = slots.filter((s) => !s.withdrawn_from || new Date(s.withdrawn_from).getTime() > now);
    const fundUpdated = [...fund.cases.map((c) => c.disclosedAt).filter((d): d is string => !!d), ...inNotice.map((c) => c.noticeFrom)].sort();
    return {
      community: { id: community.id, name: community.name, district: community.district, street: community.street, address: community.address },
      generatedAt,
      timeZone: this.config.timeZone,
      sections,
      parkingFees: {
        lastUpdated: parking.currentTariff?.effectiveFrom ?? null,
        currentTariff: parking.currentTariff,
        tariffHistory: parking.tariffHistory,
      },
      commonIncome: {
        lastUpdated: generatedAt,
        month: parking.month,
        parkingRevenueFen: parking.revenueFen,
        commonIncomeFen: parking.commonIncomeFen,
        collectedFen: parking.collectedFen,
        bills: parking.bills,
        otherIncomeFen: otherIncome.reduce((sum, r) => sum + r.amountFen, 0),
        otherIncome: otherIncome.map(({ entryId, category, amountFen, payer, contractRef, periodFrom, periodTo, receivedOn }) => ({ entryId, category, amountFen, payer, contractRef, periodFrom, periodTo, receivedOn })),
      },
      slotUsage: {
        lastUpdated: new Date(occupancy.ts).toISOString(),
        totalSlots: live.length,
        privateSlots: live.filter((s) => s.ownership === 'private').length,
        commonSlots: live.filter((s) => s.ownership === 'common').length,
        fireLaneSlots: live.filter((s) => s.fire_lane).length,
        shareableSlots: live.filter((s) => s.ownership === 'private' && s.shareable && !s.fire_lane).length,
        vehiclesInside: occupancy.inside,
        freeCommonSlots: occupancy.freeCommonSlots,
      },
      fundCases: {
        lastUpdated: fundUpdated.length ? fundUpdated[fundUpdated.length - 1] : null,
        totalFen: fund.cases.reduce((sum, c) => sum + c.totalFen, 0),
        cases: fund.cases.map((c) => ({ id: c.id, title: c.title, category: c.category, contractor: c.contractor, totalFen: c.totalFen, disclosedAt: c.disclosedAt, shares: c.shares })),
        inNotice,
      },
      committee: this.committee.statusOf(latest),
      slotLotteries: { lastUpdated: lotteries[0]?.drawnAt ?? null, lotteries },
      ownerDecisions: {
        lastUpdated: decisions.map((d) => d.closedAt).filter((d): d is string => !!d).sort().pop() ?? null,
        votes: decisions,
      },
    };
  }
}

function toIso(d: Date | string): string {
  return new Date(d).toISOString();
}

function mapItem(row: BoardItemRow): BoardItem {
  return {
    id: row.id,
    communityId: row.community_id,
    section: row.section as BoardItem['section'],
    version: row.version,
    content: row.content,
    publishedAt: toIso(row.published_at),
    publishedBy: row.published_by,
  };
}
