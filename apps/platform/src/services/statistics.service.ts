import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { type CreatePropertyCompany, escalationChainSchema, type EscalationChain, type StatisticsQuery } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { defaultChain } from '../domain/alarm-escalation';
import {
  computeFigures,
  normalisedScores,
  type Period,
  rankScorecards,
  SCORECARD_COLUMNS,
  SCORECARD_WEIGHTS,
  scorecardRow,
  type ServiceFigures,
  type StatisticsInput,
  toCsv,
  weightedScore,
} from '../domain/service-statistics';
import { AlarmRepository } from '../repositories/alarm.repository';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import { StatisticsRepository } from '../repositories/statistics.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

export interface ExportFile {
  contentType: string;
  fileName: string;
  content: Buffer;
}

/**
 * Service statistics per community and per property company over a period, and the ranked
 * scorecard of property companies (input to the red/black list). Figures come from recorded rows
 * only (alarms, devices, repair cases, shared parking), computed by domain/service-statistics.
 */
@Injectable()
export class StatisticsService {
  constructor(
    private readonly repo: StatisticsRepository,
    private readonly alarms: AlarmRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    @InjectConfig() private readonly config: PlatformConfig,
  ) {}

  async createCompany(user: AuthUser, dto: CreatePropertyCompany) {
    try {
      const row = await this.repo.createCompany(dto.name, dto.creditCode);
      await this.audit.record({ actorId: user.id, action: 'statistics.company.created', subjectType: 'property_company', subjectId: row.id, detail: { creditCode: row.credit_code } });
      return companyView(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`a property company with credit code ${dto.creditCode} exists`);
      throw error;
    }
  }

  async listCompanies() {
    return (await this.repo.listCompanies()).map(companyView);
  }

  async assignCommunities(user: AuthUser, companyId: string, communityIds: string[]) {
    const company = await this.repo.findCompany(companyId);
    if (!company) throw new NotFoundException(`property company ${companyId} not found`);
    const unique = [...new Set(communityIds)];
    for (const id of unique) await this.access.requireInScope(user, id);
    await this.repo.assignCommunities(companyId, unique);
    await this.audit.record({ actorId: user.id, action: 'statistics.company.assigned', subjectType: 'property_company', subjectId: companyId, detail: { communityIds: unique } });
    return { ...companyView(company), communityIds: unique };
  }

  async community(user: AuthUser, communityId: string, query: StatisticsQuery) {
    const community = await this.access.requireInScope(user, communityId);
    const period = toPeriod(query);
    const figures = computeFigures(await this.input([communityId], period), period, this.clock.now(), this.config.timeZone);
    return { community: { id: community.id, name: community.name, district: community.district, street: community.street }, ...periodView(period), figures };
  }

  /** Ranked scorecards of the companies serving communities in the user's scope, over those communities only. */
  async companies(user: AuthUser, query: StatisticsQuery) {
    const period = toPeriod(query);
    const now = this.clock.now();
    const communities = await this.repo.communities(await this.access.visibleCommunityIds(user));
    const companies = new Map((await this.repo.listCompanies()).map((c) => [c.id, c]));
    const entries: Array<{ subject: { id: string; name: string; creditCode: string; communities: number; communityIds: string[] }; name: string; figures: ServiceFigures }> = [];
    for (const company of companies.values()) {
      const ids = communities.filter((c) => c.property_company_id === company.id).map((c) => c.id);
      if (ids.length === 0) continue;
      const figures = computeFigures(await this.input(ids, period), period, now, this.config.timeZone);
      entries.push({ subject: { id: company.id, name: company.name, creditCode: company.credit_code, communities: ids.length, communityIds: ids }, name: company.name, figures });
    }
    const ranked = rankScorecards(entries);
    return { ...periodView(period), weights: SCORECARD_WEIGHTS, scorecards: ranked.map((r) => ({ rank: r.rank, company: r.subject, score: r.score, scores: r.scores, figures: r.figures })) };
  }

  async exportCompanies(user: AuthUser, query: StatisticsQuery): Promise<ExportFile> {
    const result = await this.companies(user, query);
    const rows = result.scorecards.map((s) => scorecardRow({ rank: s.rank, subject: s.company, score: s.score, scores: s.scores, figures: s.figures }));
    const stamp = `${result.from.slice(0, 10)}_${result.to.slice(0, 10)}`;
    if (query.format === 'csv') {
      return { contentType: 'text/csv; charset=utf-8', fileName: `scorecards_${stamp}.csv`, content: Buffer.from(`\uFEFF${toCsv(SCORECARD_COLUMNS, rows)}`, 'utf8') };
    }
    if (query.format !== 'xlsx') throw new BadRequestException('format must be csv or xlsx');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('scorecards');
    sheet.addRow([...SCORECARD_COLUMNS]);
    for (const row of rows) sheet.addRow(SCORECARD_COLUMNS.map((c) => row[c]));
    const weights = workbook.addWorksheet('weights');
    weights.addRow(['figure', 'weight', 'normalisation']);
    for (const w of SCORECARD_WEIGHTS) weights.addRow([w.figure, w.weight, w.normalisation]);
    weights.addRow(['period', result.from, result.to]);
    const content = Buffer.from(await workbook.xlsx.writeBuffer());
    return { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', fileName: `scorecards_${stamp}.xlsx`, content };
  }

  /**
   * The scorecard score (0–100, or null without figures) of a set of communities over a period, and
   * how many alarms it stands on: the service part (合同履行) of a credit grade (domain/credit-grade.ts).
   */
  async scoreOf(communityIds: string[], period: Period): Promise<{ score: number | null; alarms: number }> {
    if (communityIds.length === 0) return { score: null, alarms: 0 };
    const figures = computeFigures(await this.input(communityIds, period), period, this.clock.now(), this.config.timeZone);
    return { score: weightedScore(normalisedScores(figures)), alarms: figures.alarms };
  }

  /** The rows of several communities, with each alarm's deadlines from its community's escalation chain (or the default one). */
  private async input(communityIds: string[], period: Period): Promise<StatisticsInput> {
    const input: StatisticsInput = { alarms: [], elevatorIds: [], deviceIds: [], caseDeadlines: [], sharedSlots: [], bookings: [], complaints: [] };
    for (const id of communityIds) {
      const rows = await this.repo.rows(id, new Date(period.from), new Date(period.to));
      const chains = new Map<string, EscalationChain>();
      for (const a of rows.alarms) {
        let chain = chains.get(`${a.type}/${a.severity}`);
        if (!chain) {
          const stored = await this.alarms.chain(id, a.type);
          const parsed = stored ? escalationChainSchema.safeParse(stored) : undefined;
          chain = parsed?.success ? parsed.data : defaultChain(a.type, a.severity);
          chains.set(`${a.type}/${a.severity}`, chain);
        }
        input.alarms.push({ ...a, ackWithinS: chain.tiers[0]?.ackWithinS ?? null, arrivalWithinS: chain.arrivalWithinS ?? null });
      }
      input.elevatorIds.push(...rows.elevatorIds);
      input.deviceIds.push(...rows.deviceIds);
      input.caseDeadlines.push(...rows.caseDeadlines);
      input.sharedSlots.push(...rows.sharedSlots);
      input.bookings.push(...rows.bookings);
      input.complaints.push(...rows.complaints);
    }
    return input;
  }
}

function toPeriod(q: StatisticsQuery): Period {
  return { from: Date.parse(q.from), to: Date.parse(q.to) };
}

function periodView(p: Period) {
  return { from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString() };
}

function companyView(row: { id: string; name: string; credit_code: string; created_at: Date }) {
  return { id: row.id, name: row.name, creditCode: row.credit_code, createdAt: new Date(row.created_at).toISOString() };
}
