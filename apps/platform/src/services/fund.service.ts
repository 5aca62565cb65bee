import { BadRequestException, ConflictException, ForbiddenException, HttpException, Injectable, NotFoundException } from '@nestjs/common';
import type { Insertable, Transaction } from 'kysely';
import { z } from 'zod';
import type { ComplaintFundCaseRequest, CreateFundCaseRequest, FundCommunitySettingsRequest, FundTransitionRequest, HolidayCalendarRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { fenToYuan, shareCostByArea } from '../domain/cost-sharing';
import {
  availableActions,
  closedFundCaseStates,
  decideDeadline,
  deadlineTimers,
  isAffectedOwner,
  transition,
  type ChargeScope,
  type DeadlineTimer,
  type FundActor,
  type FundCaseCommand,
  type FundCaseSnapshot,
  type FundCaseState,
  type OwnerHolding,
} from '../domain/fund-case';
import { checkEvidenceUpload } from '../domain/fund-evidence';
import { categoryOfAlarm, defaultFundProfileId, fundCityProfiles, fundProfile, isFundProfileId } from '../domain/fund-profiles';
import { localDate } from '../domain/business-time';
import { isIsoDate, workingDaysLeft, type HolidayCalendar } from '../domain/working-days';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import type { Database } from '../repositories/database.schema';
import { DeviceRepository } from '../repositories/device.repository';
import type { AlarmNotice } from '../repositories/event-bus.repository';
import { FundFileRepository, FundRepository, type CaseOpening, type FundCaseRow } from '../repositories/fund.repository';
import type { FundTables } from '../repositories/fund.schema';
import { fundDeadlineJob, jobIds } from '../repositories/job-catalogue';
import { JobRepository } from '../repositories/job.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { UnitRepository } from '../repositories/unit.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';


const big = (v: string | number | bigint | null): bigint | null => (v === null ? null : BigInt(v));
const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const fen = (v: bigint | null): number | null => (v === null ? null : Number(v));

export function snapshotOf(row: FundCaseRow): FundCaseSnapshot {
  return {
    state: row.state as FundCaseState,
    budgetFen: big(row.budget_fen),
    paidFen: BigInt(row.paid_fen),
    actualCostFen: big(row.actual_cost_fen),
    noticeEndsAt: ms(row.notice_ends_at),
    noticeDuringWorks: row.notice_during_works,
    reviewDeadline: ms(row.review_deadline),
    paymentDeadline: ms(row.payment_deadline),
  };
}

/**
 * The emergency maintenance-fund green channel: opens repair cases from qualifying alarms and
 * manual reports, moves them through the state machine (domain/fund-case.ts) as the right
 * users, keeps their evidence, payments and timeline, runs the working-day deadlines on the
 * 'fund' queue and publishes disclosed cases with each owner's share.
 */
@Injectable()
export class FundService {

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly fund: FundRepository,
    private readonly files: FundFileRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly communities: CommunityRepository,
    private readonly devices: DeviceRepository,
    private readonly redis: RedisRepository,
    private readonly jobs: JobRepository,
    private readonly websocket: WebsocketRepository,
    private readonly units: UnitRepository,
    private readonly outbox: OutboxRepository,
  ) {
    // Written with the alarm in one transaction (alarm service), relayed after it; openFromAlarm is idempotent on the alarm id.
    outbox.handle('fund.case-for-alarm', async (notice) => {
      await this.openFromAlarm(notice);
    });
    jobs.handle(fundDeadlineJob, (data) => this.onDeadline(data));
  }

  // ---------------------------------------------------------------- opening cases

  /** Opens a case for a qualifying alarm, or links a repeat of it to the case already open. Returns the case id. */
  async openFromAlarm(notice: AlarmNotice): Promise<string | null> {
    const category = categoryOfAlarm(notice.type);
    if (category === null) return null;
    const existing = (await this.fund.findByAlarm(notice.alarmId)) ?? (await this.fund.findOpenForDeviceAlarm(notice.deviceId, notice.type, closedFundCaseStates));
    if (existing) return this.linkRepeat(existing, notice);

    const device = await this.devices.findById(notice.deviceId);
    const live = (await this.redis.readLiveStates([notice.deviceId])).get(notice.deviceId);
    const now = new Date(this.clock.now());
    try {
      const row = await this.openCase({
        fields: {
          community_id: notice.communityId,
          category,
          title: `${device?.name ?? notice.deviceId}: ${notice.type}`,
          description: null,
          source: 'alarm',
          alarm_id: notice.alarmId,
          alarm_type: notice.type,
          device_id: notice.deviceId,
          building_id: device?.building_id ?? null,
          created_by: null,
        },
        evidence: [
          { kind: 'alarm', alarm_id: notice.alarmId, detail: JSON.stringify(notice), created_by: null },
          {
            kind: 'telemetry',
            alarm_id: notice.alarmId,
            detail: JSON.stringify({ deviceId: notice.deviceId, kind: device?.kind ?? null, subtype: device?.subtype ?? null, takenAt: now.getTime(), ...(live ?? {}) }),
            created_by: null,
          },
        ],
        actor: { id: null, role: 'system' },
        detail: { alarmId: notice.alarmId, type: notice.type },
      });
      return row.id;
    } catch (error) {
      // Another process (or a concurrent repeat) opened it first.
      if (!isUniqueViolation(error)) throw error;
      const winner = (await this.fund.findByAlarm(notice.alarmId)) ?? (await this.fund.findOpenForDeviceAlarm(notice.deviceId, notice.type, closedFundCaseStates));
      return winner ? this.linkRepeat(winner, notice) : null;
    }
  }

  /**
   * Turns a complaint into an emergency repair (green channel): a draft case of the complaint's
   * community whose evidence is the complaint (text, place, category) and its photos, opened by
   * the same path as an alarm's case. `link` runs in the case's transaction so the complaint
   * names its case exactly when the case exists. The caller checked the complaint is in scope.
   */
  async openFromComplaint(
    user: AuthUser,
    complaint: { id: string; communityId: string; text: string; location: string; category: string; photos: Array<{ sha256: string; contentType: string; sizeBytes: number }> },
    dto: ComplaintFundCaseRequest,
    link: (tx: Transaction<Database>, caseId: string) => Promise<void>,
  ): Promise<FundCaseRow> {
    const buildingId = await this.checkPlace(complaint.communityId, dto.deviceId, dto.buildingId);
    const title = dto.title ?? `${complaint.location}: ${complaint.text}`.slice(0, 200);
    return this.openCase({
      fields: {
        community_id: complaint.communityId,
        category: dto.category,
        title,
        description: complaint.text,
        source: 'complaint',
        complaint_id: complaint.id,
        alarm_id: null,
        alarm_type: null,
        device_id: dto.deviceId ?? null,
        building_id: buildingId,
        created_by: user.id,
      },
      evidence: [
        { kind: 'complaint', alarm_id: null, detail: JSON.stringify({ complaintId: complaint.id, category: complaint.category, location: complaint.location, text: complaint.text }), created_by: user.id },
        ...complaint.photos.map((p, i) => ({
          kind: 'upload' as const,
          alarm_id: null,
          file_name: `complaint-photo-${i + 1}`,
          content_type: p.contentType,
          size_bytes: p.sizeBytes,
          sha256: p.sha256,
          detail: JSON.stringify({ complaintId: complaint.id }),
          created_by: user.id,
        })),
      ],
      actor: { id: user.id, role: user.role },
      detail: { complaintId: complaint.id, category: dto.category },
      afterInsert: link,
    });
  }

  /** The one way a case is opened from something that happened (an alarm, a complaint): draft, evidence, timeline, audit, socket. */
  private async openCase(spec: {
    fields: Omit<CaseOpening, 'profile' | 'created_at' | 'updated_at'>;
    evidence: Array<Omit<Insertable<FundTables['fund_evidence']>, 'case_id' | 'created_at'>>;
    actor: { id: string | null; role: string };
    detail: Record<string, unknown>;
    afterInsert?: (tx: Transaction<Database>, caseId: string) => Promise<void>;
  }): Promise<FundCaseRow> {
    const settings = await this.fund.settings(spec.fields.community_id);
    const now = new Date(this.clock.now());
    const row = await this.fund.transaction(async (tx) => {
      const created = await this.fund.insertCase({ ...spec.fields, profile: settings?.profile ?? defaultFundProfileId, created_at: now, updated_at: now }, tx);
      for (const evidence of spec.evidence) await this.fund.addEvidence({ ...evidence, case_id: created.id, created_at: now }, tx);
      await this.fund.addEvent({ caseId: created.id, at: now, actorId: spec.actor.id, actorRole: spec.actor.role, action: 'opened', fromState: null, toState: 'draft', detail: spec.detail }, tx);
      await spec.afterInsert?.(tx, created.id);
      return created;
    });
    await this.audit.record({ actorId: spec.actor.id, action: 'fund.case.opened', subjectType: 'fund_case', subjectId: row.id, detail: spec.detail });
    this.announce(row, 'opened');
    return row;
  }

  /** A device or building named for a case must be of its community; the device's building is the default. */
  private async checkPlace(communityId: string, deviceId: string | undefined, building: string | undefined): Promise<string | null> {
    let buildingId = building ?? null;
    if (deviceId) {
      const device = await this.devices.findById(deviceId);
      if (!device || device.community_id !== communityId) throw new BadRequestException(`device ${deviceId} is not in this community`);
      buildingId ??= device.building_id;
    }
    if (buildingId && !(await this.fund.buildingIdsOf(communityId)).includes(buildingId)) {
      throw new BadRequestException(`building ${buildingId} is not in this community`);
    }
    return buildingId;
  }

  private async linkRepeat(row: FundCaseRow, notice: AlarmNotice): Promise<string> {
    if (row.alarm_id === notice.alarmId) return row.id; // the same alarm again: nothing new
    const now = new Date(this.clock.now());
    await this.fund.addEvidence({ case_id: row.id, kind: 'alarm', alarm_id: notice.alarmId, detail: JSON.stringify(notice), created_by: null, created_at: now });
    await this.fund.addEvent({ caseId: row.id, at: now, actorId: null, actorRole: 'system', action: 'alarm_repeated', fromState: row.state, toState: row.state, detail: { alarmId: notice.alarmId } });
    this.announce(row, 'evidence_added');
    return row.id;
  }

  async createManual(user: AuthUser, dto: CreateFundCaseRequest) {
    await this.access.requireInScope(user, dto.communityId);
    const buildingId = await this.checkPlace(dto.communityId, dto.deviceId, dto.buildingId);
    const settings = await this.fund.settings(dto.communityId);
    const now = new Date(this.clock.now());
    const row = await this.fund.transaction(async (tx) => {
      const created = await this.fund.insertCase(
        {
          community_id: dto.communityId,
          category: dto.category,
          title: dto.title,
          description: dto.description ?? null,
          source: 'manual',
          alarm_id: null,
          alarm_type: null,
          device_id: dto.deviceId ?? null,
          building_id: buildingId,
          profile: settings?.profile ?? defaultFundProfileId,
          created_by: user.id,
          created_at: now,
          updated_at: now,
        },
        tx,
      );
      await this.fund.addEvent({ caseId: created.id, at: now, actorId: user.id, actorRole: user.role, action: 'opened', fromState: null, toState: 'draft', detail: { category: dto.category } }, tx);
      return created;
    });
    await this.audit.record({ actorId: user.id, action: 'fund.case.opened', subjectType: 'fund_case', subjectId: row.id, detail: { category: dto.category } });
    this.announce(row, 'opened');
    return this.view(user, row);
  }

  // ---------------------------------------------------------------- reading

  async list(user: AuthUser, query: { communityId?: string; state?: string }) {
    let ids: string[];
    if (query.communityId) {
      await this.access.requireInScope(user, query.communityId);
      ids = [query.communityId];
    } else {
      ids = await this.access.visibleCommunityIds(user);
    }
    const rows = await this.fund.listCases(ids, { state: query.state });
    const now = this.clock.now();
    const calendar = await this.calendarAround(now);
    const communityIds = [...new Set(rows.map((r) => r.community_id))];
    const settings = new Map(await Promise.all(communityIds.map(async (c) => [c, await this.fund.settings(c)] as const)));
    const holdings = await this.ownerHoldings(user, communityIds);
    return rows.map((r) => this.summary(r, user, now, calendar, settings.get(r.community_id) ?? null, holdings));
  }

  async get(user: AuthUser, id: string) {
    return this.view(user, await this.requireCase(user, id));
  }

  private async requireCase(user: AuthUser, id: string): Promise<FundCaseRow> {
    const row = await this.fund.findCase(id);
    await this.access.requireInScope(user, row?.community_id, `fund case ${id}`);
    return row!;
  }

  /** The deadline of the step a case waits on, with the working days left on the holiday calendar. */
  private deadlineOf(row: FundCaseRow, now: number, calendar: HolidayCalendar) {
    const pending = row.state === 'notice' ? (['notice', row.notice_ends_at] as const) : row.state === 'confirmed' ? (['review', row.review_deadline] as const) : row.state === 'approved' ? (['payment', row.payment_deadline] as const) : null;
    if (!pending || !pending[1]) return null;
    const [kind, at] = pending;
    return { kind, at: at.toISOString(), workingDaysLeft: workingDaysLeft(now, at.getTime(), this.config.timeZone, calendar) };
  }

  /** An owner's verified units in these communities (others hold none that count: see isAffectedOwner). */
  private async ownerHoldings(user: AuthUser, communityIds: string[]): Promise<Array<OwnerHolding & { communityId: string }>> {
    return user.role === 'owner' ? this.units.verifiedOwnerHoldings(user.id, communityIds) : [];
  }

  private affects(holdings: ReadonlyArray<OwnerHolding & { communityId: string }>, row: FundCaseRow): boolean {
    const mine = holdings.filter((h) => h.communityId === row.community_id);
    return isAffectedOwner(mine, { buildingId: row.building_id, chargeScope: row.charge_scope as ChargeScope | null });
  }

  private summary(
    row: FundCaseRow,
    user: AuthUser,
    now: number,
    calendar: HolidayCalendar,
    settings: { has_property_company: boolean; has_owners_committee: boolean } | null,
    holdings: ReadonlyArray<OwnerHolding & { communityId: string }>,
  ) {
    const s = snapshotOf(row);
    const ctx = {
      actor: { kind: 'user', role: user.role } as FundActor,
      now,
      profile: fundProfile(row.profile),
      calendar,
      timeZone: this.config.timeZone,
      hasPropertyCompany: settings?.has_property_company ?? true,
      hasOwnersCommittee: settings?.has_owners_committee ?? false,
      affectedOwner: this.affects(holdings, row),
    };
    return {
      id: row.id,
      communityId: row.community_id,
      category: row.category,
      title: row.title,
      description: row.description,
      source: row.source,
      alarmId: row.alarm_id,
      complaintId: row.complaint_id,
      alarmType: row.alarm_type,
      deviceId: row.device_id,
      buildingId: row.building_id,
      state: row.state,
      profile: row.profile,
      repairPlan: row.repair_plan,
      contractor: row.contractor,
      budgetFen: fen(s.budgetFen),
      chargeScope: row.charge_scope as ChargeScope | null,
      paidFen: fen(s.paidFen),
      actualCostFen: fen(s.actualCostFen),
      noticeEndsAt: iso(row.notice_ends_at),
      noticeDuringWorks: row.notice_during_works,
      reviewDeadline: iso(row.review_deadline),
      paymentDeadline: iso(row.payment_deadline),
      escalatedAt: iso(row.escalated_at),
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      disclosedAt: iso(row.disclosed_at),
      deadline: this.deadlineOf(row, now, calendar),
      availableActions: availableActions(row.state as FundCaseState, ctx),
    };
  }

  private async view(user: AuthUser, row: FundCaseRow) {
    const [events, evidence, payments, settings] = await Promise.all([
      this.fund.events([row.id]),
      this.fund.evidence(row.id),
      this.fund.payments(row.id),
      this.fund.settings(row.community_id),
    ]);
    const now = this.clock.now();
    return {
      ...this.summary(row, user, now, await this.calendarAround(now), settings ?? null, await this.ownerHoldings(user, [row.community_id])),
      timeline: events.map((e) => ({
        at: e.at.toISOString(),
        action: e.action,
        fromState: e.from_state,
        toState: e.to_state,
        actorId: e.actor_id,
        actorRole: e.actor_role,
        detail: e.detail,
      })),
      evidence: evidence.map((e) => ({
        id: e.id,
        kind: e.kind,
        alarmId: e.alarm_id,
        fileName: e.file_name,
        contentType: e.content_type,
        sizeBytes: e.size_bytes,
        sha256: e.sha256,
        detail: e.detail,
        createdAt: e.created_at.toISOString(),
      })),
      payments: payments.map((p) => ({ amountFen: Number(p.amount_fen), stage: p.stage, reference: p.reference, paidAt: p.paid_at.toISOString() })),
      shares: await this.sharesOf(row),
    };
  }

  /** Shares of the actual cost (or, before acceptance, of the budget) over the charge scope. */
  private async sharesOf(row: FundCaseRow) {
    if (row.state === 'disclosed') {
      return (await this.fund.shares([row.id])).map((s) => ({ unitId: s.unitId, building: s.buildingName, unit: s.unitNumber, floorArea: s.floorArea, shareFen: Number(s.shareFen) }));
    }
    const amount = big(row.actual_cost_fen) ?? big(row.budget_fen);
    if (amount === null || !row.charge_scope) return [];
    const units = await this.unitsOf(row.community_id, row.charge_scope as ChargeScope);
    if (units.length === 0) return [];
    const shares = new Map(shareCostByArea(amount, units).map((s) => [s.unitId, s.shareFen]));
    return units.map((u) => ({ unitId: u.unitId, building: u.buildingName, unit: u.number, floorArea: u.floorArea, shareFen: Number(shares.get(u.unitId)!) }));
  }

  private async unitsOf(communityId: string, scope: ChargeScope, tx?: Transaction<Database>) {
    return this.fund.unitsInScope(
      communityId,
      scope.level === 'estate' ? {} : scope.level === 'building' ? { buildingIds: scope.buildingIds } : { unitIds: scope.unitIds },
      tx,
    );
  }

  // ---------------------------------------------------------------- transitions

  async transition(user: AuthUser, id: string, dto: FundTransitionRequest) {
    const row = await this.requireCase(user, id);
    const affectedOwner = this.affects(await this.ownerHoldings(user, [row.community_id]), row);
    const updated = await this.apply(row.id, toCommand(dto), { kind: 'user', role: user.role }, user.id, dto, affectedOwner);
    return this.view(user, updated);
  }

  private async context(actor: FundActor, row: FundCaseRow) {
    const now = this.clock.now();
    return { actor, now, profile: fundProfile(row.profile), calendar: await this.calendarAround(now), timeZone: this.config.timeZone };
  }

  /** Applies one command under a row lock, records the timeline, the audit log, payments and shares; then timers and the socket event. */
  private async apply(caseId: string, command: FundCaseCommand, actor: FundActor, actorId: string | null, request: Record<string, unknown>, affectedOwner = false): Promise<FundCaseRow> {
    // Everything read before the transaction: embedded PGlite has one connection, held by it.
    const before = await this.fund.findCase(caseId);
    if (!before) throw new NotFoundException(`fund case ${caseId} not found`);
    const settings = await this.fund.settings(before.community_id);
    const base = await this.context(actor, before);
    const { row, from } = await this.fund.transaction(async (tx) => {
      const current = await this.fund.lockCase(tx, caseId);
      if (!current) throw new NotFoundException(`fund case ${caseId} not found`);
      const ctx = {
        ...base,
        hasPropertyCompany: settings?.has_property_company ?? true,
        hasOwnersCommittee: settings?.has_owners_committee ?? false,
        affectedOwner,
      };
      const result = transition(snapshotOf(current), command, ctx);
      if (!result.ok) {
        if (result.error === 'forbidden') throw new ForbiddenException(result.message);
        if (result.error === 'conflict') throw new ConflictException(result.message);
        throw new BadRequestException(result.message);
      }
      const s = result.snapshot;
      const now = new Date(ctx.now);
      const patch: Parameters<FundRepository['updateCase']>[2] = {
        state: s.state,
        budget_fen: s.budgetFen === null ? null : s.budgetFen.toString(),
        paid_fen: s.paidFen.toString(),
        actual_cost_fen: s.actualCostFen === null ? null : s.actualCostFen.toString(),
        notice_ends_at: s.noticeEndsAt === null ? null : new Date(s.noticeEndsAt),
        notice_during_works: s.noticeDuringWorks,
        review_deadline: s.reviewDeadline === null ? null : new Date(s.reviewDeadline),
        payment_deadline: s.paymentDeadline === null ? null : new Date(s.paymentDeadline),
        updated_at: now,
      };
      if (command.action === 'propose') {
        const units = await this.unitsOf(current.community_id, command.chargeScope, tx);
        const named = command.chargeScope.level === 'building' ? command.chargeScope.buildingIds : command.chargeScope.level === 'units' ? command.chargeScope.unitIds : [];
        const found = new Set(command.chargeScope.level === 'building' ? units.map((u) => u.buildingId) : units.map((u) => u.unitId));
        const missing = named.filter((n) => !found.has(n));
        if (units.length === 0 || missing.length > 0) {
          throw new BadRequestException(`the charge scope has no units in this community${missing.length ? ` (unknown: ${missing.join(', ')})` : ''}`);
        }
        patch.repair_plan = command.repairPlan;
        patch.contractor = command.contractor;
        patch.charge_scope = JSON.stringify(command.chargeScope);
      }
      if (command.action === 'pay' && result.paymentFen !== undefined) {
        await this.fund.addPayment(tx, {
          case_id: caseId,
          amount_fen: result.paymentFen.toString(),
          stage: result.from === 'approved' ? 'first' : result.from === 'accepted' ? 'balance' : 'progress',
          reference: typeof request.reference === 'string' ? request.reference : null,
          recorded_by: actorId,
          paid_at: now,
        });
      }
      if (command.action === 'disclose') {
        const units = await this.unitsOf(current.community_id, current.charge_scope as ChargeScope, tx);
        await this.fund.saveShares(tx, caseId, shareCostByArea(s.actualCostFen!, units));
        // The unit accounts are debited after the commit, once (services/fund-account.service.ts).
        await this.outbox.add(tx, 'fund-account.case-shares', caseId, { caseId });
        patch.disclosed_at = now;
      }
      const updated = await this.fund.updateCase(tx, caseId, patch);
      const detail: Record<string, unknown> = { ...request };
      delete detail.action;
      if (result.paymentFen !== undefined) detail.amountFen = Number(result.paymentFen);
      if (command.action === 'disclose') detail.totalFen = Number(s.actualCostFen);
      await this.fund.addEvent(
        { caseId, at: now, actorId, actorRole: actor.kind === 'system' ? 'system' : actor.role, action: command.action, fromState: result.from, toState: result.to, detail },
        tx,
      );
      return { row: updated, from: result.from };
    });
    await this.audit.record({
      actorId,
      action: `fund.case.${command.action}`,
      subjectType: 'fund_case',
      subjectId: caseId,
      detail: { from, to: row.state, ...Object.fromEntries(Object.entries(request).filter(([k]) => k !== 'action')) },
    });
    if (command.action === 'disclose') this.outbox.kick();
    await this.scheduleTimers(row);
    this.announce(row, command.action);
    return row;
  }

  // ---------------------------------------------------------------- evidence uploads

  async addUpload(user: AuthUser, id: string, file: { originalname: string; mimetype: string; size: number; buffer: Buffer } | undefined) {
    const row = await this.requireCase(user, id);
    if (!file) throw new BadRequestException('a multipart field "file" is required');
    const check = checkEvidenceUpload(file.mimetype, file.buffer);
    if (!check.ok) throw new HttpException({ statusCode: check.status, error: check.status === 413 ? 'Payload Too Large' : check.status === 415 ? 'Unsupported Media Type' : 'Bad Request', message: check.message }, check.status);
    if (closedFundCaseStates.includes(row.state as FundCaseState)) throw new ConflictException(`case is ${row.state}`);
    const stored = await this.files.store(file.buffer);
    const now = new Date(this.clock.now());
    const evidence = await this.fund.addEvidence({
      case_id: row.id,
      kind: 'upload',
      alarm_id: null,
      file_name: file.originalname.slice(0, 255),
      content_type: check.contentType,
      size_bytes: stored.size,
      sha256: stored.sha256,
      detail: '{}',
      created_by: user.id,
      created_at: now,
    });
    await this.fund.addEvent({ caseId: row.id, at: now, actorId: user.id, actorRole: user.role, action: 'evidence_added', fromState: row.state, toState: row.state, detail: { evidenceId: evidence.id, sha256: stored.sha256 } });
    await this.audit.record({ actorId: user.id, action: 'fund.case.evidence_added', subjectType: 'fund_case', subjectId: row.id, detail: { evidenceId: evidence.id, sha256: stored.sha256, size: stored.size } });
    this.announce(row, 'evidence_added');
    return { id: evidence.id, fileName: evidence.file_name, contentType: evidence.content_type, sizeBytes: evidence.size_bytes, sha256: evidence.sha256, createdAt: evidence.created_at.toISOString() };
  }

  async readUpload(user: AuthUser, id: string, evidenceId: string): Promise<{ contentType: string; content: Buffer; fileName: string }> {
    const row = await this.requireCase(user, id);
    const evidence = await this.fund.findEvidence(row.id, evidenceId);
    if (!evidence || evidence.kind !== 'upload' || !evidence.sha256) throw new NotFoundException(`evidence ${evidenceId} not found`);
    return { contentType: evidence.content_type ?? 'application/octet-stream', content: await this.files.read(evidence.sha256), fileName: evidence.file_name ?? evidence.sha256 };
  }

  // ---------------------------------------------------------------- deadlines

  private async scheduleTimers(row: FundCaseRow): Promise<void> {
    for (const timer of deadlineTimers(snapshotOf(row), fundProfile(row.profile))) await this.schedule(row.id, timer, timer.at, '');
  }

  private async schedule(caseId: string, timer: Pick<DeadlineTimer, 'kind' | 'phase' | 'deadline'>, dueAt: number, suffix: string): Promise<void> {
    const data = { caseId, kind: timer.kind, phase: timer.phase, deadline: timer.deadline };
    await this.jobs.schedule(fundDeadlineJob, data, { dueAt: Math.round(dueAt), jobId: jobIds.fundDeadline(data, suffix) });
  }

  /** A deadline timer fired: decide with the clock (it may be early, late, or the case may have moved on). */
  async onDeadline(data: z.infer<typeof fundDeadlineJob.schema>): Promise<void> {
    const row = await this.fund.findCase(data.caseId);
    if (!row) return;
    const now = this.clock.now();
    const profile = fundProfile(row.profile);
    const decision = decideDeadline(snapshotOf(row), data, now, profile);
    switch (decision.kind) {
      case 'none':
        return;
      case 'wait':
        return this.schedule(row.id, data, decision.until, `-w${now}`);
      case 'deem_approve':
        await this.apply(row.id, { action: 'deem_approve' }, { kind: 'system' }, null, { action: 'deem_approve', deadline: new Date(data.deadline).toISOString() });
        return;
      case 'remind':
      case 'escalate': {
        const at = new Date(now);
        const action = decision.kind === 'remind' ? 'reminder' : 'escalated';
        if (decision.kind === 'escalate') await this.fund.markEscalated(row.id, at);
        await this.fund.addEvent({ caseId: row.id, at, actorId: null, actorRole: 'system', action, fromState: row.state, toState: row.state, detail: { deadline: new Date(data.deadline).toISOString(), kind: data.kind } });
        await this.audit.record({ actorId: null, action: `fund.case.${action}`, subjectType: 'fund_case', subjectId: row.id, detail: { kind: data.kind, deadline: data.deadline } });
        this.announce(row, action);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- calendar and settings

  /** The holiday calendar of the years around an instant (deadlines may cross a new year). */
  private async calendarAround(now: number): Promise<HolidayCalendar> {
    const year = Number(localDate(now, this.config.timeZone).slice(0, 4));
    const days = await this.fund.calendarDays([year - 1, year, year + 1]);
    return {
      holidays: new Set(days.filter((d) => d.kind === 'holiday').map((d) => d.day)),
      workdays: new Set(days.filter((d) => d.kind === 'workday').map((d) => d.day)),
    };
  }

  async setCalendar(user: AuthUser, year: number, dto: HolidayCalendarRequest) {
    const bad = [...dto.holidays, ...dto.workdays].filter((d) => !isIsoDate(d) || Number(d.slice(0, 4)) !== year);
    if (bad.length > 0) throw new BadRequestException(`dates not in ${year} or not valid: ${bad.join(', ')}`);
    const both = dto.holidays.filter((d) => dto.workdays.includes(d));
    if (both.length > 0) throw new BadRequestException(`a day cannot be both a holiday and a working day: ${both.join(', ')}`);
    const holidays = [...new Set(dto.holidays)].sort();
    const workdays = [...new Set(dto.workdays)].sort();
    await this.fund.replaceCalendarYear(year, [...holidays.map((day) => ({ day, kind: 'holiday' as const })), ...workdays.map((day) => ({ day, kind: 'workday' as const }))]);
    await this.audit.record({ actorId: user.id, action: 'fund.calendar.loaded', subjectType: 'fund_calendar', subjectId: String(year), detail: { holidays: holidays.length, workdays: workdays.length } });
    return { year, holidays, workdays };
  }

  async getCalendar(year: number) {
    const days = await this.fund.calendarDays([year]);
    return { year, holidays: days.filter((d) => d.kind === 'holiday').map((d) => d.day), workdays: days.filter((d) => d.kind === 'workday').map((d) => d.day) };
  }

  profiles() {
    return fundCityProfiles;
  }

  async getSettings(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const s = await this.fund.settings(communityId);
    const profile = fundProfile(s?.profile);
    return { communityId, profile: profile.id, hasPropertyCompany: s?.has_property_company ?? true, hasOwnersCommittee: s?.has_owners_committee ?? false, profileDetail: profile };
  }

  async setSettings(user: AuthUser, communityId: string, dto: FundCommunitySettingsRequest) {
    await this.access.requireInScope(user, communityId);
    if (!isFundProfileId(dto.profile)) throw new BadRequestException(`unknown profile ${dto.profile} (known: ${fundCityProfiles.map((p) => p.id).join(', ')})`);
    await this.fund.saveSettings({ community_id: communityId, profile: dto.profile, has_property_company: dto.hasPropertyCompany, has_owners_committee: dto.hasOwnersCommittee });
    await this.audit.record({ actorId: user.id, action: 'fund.settings.changed', subjectType: 'community', subjectId: communityId, detail: { ...dto } });
    return this.getSettings(user, communityId);
  }

  // ---------------------------------------------------------------- public disclosure

  /** Disclosed cases of a community, for the public page: totals, per-unit shares, timeline. No personal data. */
  async disclosure(communityId: string) {
    const community = await this.communities.findById(communityId);
    if (!community) throw new NotFoundException(`community ${communityId} not found`);
    const rows = await this.fund.listCases([communityId], { state: 'disclosed' });
    const ids = rows.map((r) => r.id);
    const [shares, events] = await Promise.all([this.fund.shares(ids), this.fund.events(ids)]);
    return {
      community: { id: community.id, name: community.name, district: community.district, street: community.street },
      cases: rows.map((r) => {
        const caseShares = shares.filter((s) => s.caseId === r.id);
        const total = BigInt(r.actual_cost_fen ?? 0);
        return {
          id: r.id,
          title: r.title,
          category: r.category,
          contractor: r.contractor,
          repairPlan: r.repair_plan,
          budgetFen: fen(big(r.budget_fen)),
          totalFen: Number(total),
          totalYuan: fenToYuan(total),
          disclosedAt: iso(r.disclosed_at),
          shares: caseShares.map((s) => ({ building: s.buildingName, unit: s.unitNumber, floorArea: s.floorArea, shareFen: Number(s.shareFen), shareYuan: fenToYuan(BigInt(s.shareFen)) })),
          timeline: events
            .filter((e) => e.case_id === r.id)
            .map((e) => ({ at: e.at.toISOString(), action: e.action, fromState: e.from_state, toState: e.to_state, actorRole: e.actor_role })),
        };
      }),
    };
  }

  /** Cases of a community in their public notice period now (公示期), for the 公示栏: plan, budget, contractor, buildings charged. */
  async inNotice(communityId: string) {
    const now = this.clock.now();
    const rows = (await this.fund.listCases([communityId])).filter(
      (r) => r.notice_ends_at !== null && r.notice_ends_at.getTime() > now && !closedFundCaseStates.includes(r.state as FundCaseState),
    );
    const [events, buildings] = await Promise.all([this.fund.events(rows.map((r) => r.id)), this.fund.unitsInScope(communityId, {})]);
    const buildingName = new Map(buildings.map((u) => [u.buildingId, u.buildingName]));
    return rows.map((r) => {
      const scope = r.charge_scope as ChargeScope | null;
      const charged = scope?.level === 'building' ? scope.buildingIds : scope?.level === 'units' ? [...new Set(buildings.filter((u) => scope.unitIds.includes(u.unitId)).map((u) => u.buildingId))] : [];
      const published = events.filter((e) => e.case_id === r.id && e.action === 'publish_notice').pop();
      return {
        id: r.id,
        title: r.title,
        category: r.category,
        repairPlan: r.repair_plan,
        contractor: r.contractor,
        budgetFen: fen(big(r.budget_fen)),
        chargedBuildings: charged.map((id) => buildingName.get(id) ?? id).sort(),
        noticeFrom: (published?.at ?? r.updated_at).toISOString(),
        noticeEndsAt: r.notice_ends_at!.toISOString(),
      };
    });
  }

  private announce(row: FundCaseRow, action: string): void {
    this.websocket.emitToCommunity(row.community_id, 'fund.case.updated', { caseId: row.id, communityId: row.community_id, state: row.state, action, ts: this.clock.now() });
  }
}

function toCommand(dto: FundTransitionRequest): FundCaseCommand {
  switch (dto.action) {
    case 'propose':
      return { action: 'propose', repairPlan: dto.repairPlan, contractor: dto.contractor, budgetFen: BigInt(dto.budgetFen), chargeScope: dto.chargeScope };
    case 'pay':
      return { action: 'pay', ...(dto.amountFen !== undefined ? { amountFen: BigInt(dto.amountFen) } : {}) };
    case 'accept':
      return { action: 'accept', actualCostFen: BigInt(dto.actualCostFen) };
    case 'reject':
      return { action: 'reject', reason: dto.reason };
    case 'withdraw':
      return { action: 'withdraw', reason: dto.reason };
    case 'publish_notice':
      return { action: 'publish_notice', duringWorks: dto.duringWorks };
    default:
      return { action: dto.action };
  }
}
