import { BadRequestException, ConflictException, HttpException, Injectable, NotFoundException } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { z } from 'zod';
import {
  complaintCategories,
  complaintLevels,
  type ComplaintActionRequest,
  type ComplaintAvailableAction,
  type ComplaintFundCaseRequest,
  type ComplaintCategory,
  type ComplaintLevel,
  type ComplaintSettingsRequest,
  type ComplaintState,
  type CreateComplaintRequest,
} from '@app/contracts';
import {
  availableComplaintActions,
  complaintStatistics,
  complaintTransition,
  decideDeadline,
  defaultLedgerHours,
  defaultLevelHours,
  defaultResolveHours,
  levelDeadline,
  levelRole,
  type ComplaintDeadlineSettings,
  type ComplaintFact,
  type ComplaintSnapshot,
} from '../domain/complaints';
import { checkEvidenceUpload } from '../domain/fund-evidence';
import { can, Permission } from '../domain/permissions';
import { AlarmRepository } from '../repositories/alarm.repository';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { ComplaintRepository, type ComplaintRow } from '../repositories/complaint.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import type { Database } from '../repositories/database.schema';
import { FundFileRepository } from '../repositories/fund.repository';
import { complaintDeadlineJob, jobIds } from '../repositories/job-catalogue';
import { JobRepository } from '../repositories/job.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import { FundService } from './fund.service';
import type { AuthUser } from './auth-user';

type DeadlineData = z.infer<typeof complaintDeadlineJob.schema>;
const DAY = 86_400_000;

function snapshotOf(row: ComplaintRow): ComplaintSnapshot {
  return {
    state: row.state as ComplaintState,
    level: row.level as ComplaintLevel,
    category: row.category as ComplaintCategory,
    filedBy: row.filed_by,
    deadline: row.deadline.getTime(),
    onLedger: row.on_ledger,
    resolvedAt: row.resolved_at?.getTime() ?? null,
  };
}

/** A stored item as the complaint statistics read it (also the credit grade's complaints part). */
export function complaintFact(r: ComplaintRow): ComplaintFact {
  return {
    communityId: r.community_id,
    filedBy: r.filed_by,
    category: r.category as ComplaintCategory,
    state: r.state as ComplaintState,
    filedAt: r.filed_at.getTime(),
    respondedAt: r.responded_at?.getTime() ?? null,
    resolvedAt: r.resolved_at?.getTime() ?? null,
    deadline: r.deadline.getTime(),
    satisfaction: r.satisfaction,
    reopened: r.reopened,
  };
}

/**
 * Complaints and repair requests (接诉即办): filed by anyone in a community, answered by the
 * property company under a deadline per category, taken up level by level when unresolved
 * (domain/complaints.ts), each step in the item's timeline, the audit log and the filer's notices.
 * Owners see their own items; handling roles see every item of their scope.
 */
@Injectable()
export class ComplaintService {
  constructor(
    private readonly complaints: ComplaintRepository,
    private readonly files: FundFileRepository,
    private readonly alarms: AlarmRepository,
    private readonly communities: CommunityRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly jobs: JobRepository,
    private readonly websocket: WebsocketRepository,
    private readonly fund: FundService,
  ) {
    jobs.handle(complaintDeadlineJob, (data) => this.onDeadline(data));
  }

  async file(user: AuthUser, dto: CreateComplaintRequest) {
    await this.access.requireInScope(user, dto.communityId);
    if (dto.alarmId) {
      const alarm = await this.alarms.findById(dto.alarmId);
      if (!alarm || alarm.community_id !== dto.communityId) throw new BadRequestException(`alarm ${dto.alarmId} is not an alarm of this community`);
    }
    const now = new Date(this.clock.now());
    const deadline = new Date(levelDeadline('property', dto.category, now.getTime(), await this.settingsOf(dto.communityId)));
    const row = await this.complaints.transaction(async (tx) => {
      const inserted = await this.complaints.insert(
        { community_id: dto.communityId, filed_by: user.id, kind: dto.kind, category: dto.category, text: dto.text, location: dto.location, contact: dto.contact ?? null, alarm_id: dto.alarmId ?? null, deadline, filed_at: now, responded_at: null, resolved_at: null, satisfaction: null },
        tx,
      );
      await this.step(tx, inserted, now, user.id, user.role, 'filed', null);
      return inserted;
    });
    await this.scheduleDeadline(row);
    await this.tellLevel(row, 'filed');
    this.announce(row, 'filed');
    return this.detail(user, row);
  }

  async list(user: AuthUser, query: { communityId?: string; state?: ComplaintState; overdue?: boolean; limit: number }) {
    const communityIds = query.communityId ? [(await this.access.requireInScope(user, query.communityId)).id] : await this.access.visibleCommunityIds(user);
    const now = this.clock.now();
    const rows = await this.complaints.list({
      communityIds,
      filedBy: can(user, Permission.ComplaintReadAll) ? undefined : user.id,
      state: query.state,
      overdueAt: query.overdue ? new Date(now) : undefined,
      limit: query.limit,
    });
    return rows.map((r) => this.summary(r, now));
  }

  async get(user: AuthUser, id: string) {
    return this.detail(user, await this.requireVisible(user, id));
  }

  async act(user: AuthUser, id: string, dto: ComplaintActionRequest) {
    await this.requireVisible(user, id);
    const settings = await this.settingsFor(id);
    const now = this.clock.now();
    let before: ComplaintRow | undefined;
    const row = await this.complaints.transaction(async (tx) => {
      const current = await this.complaints.lock(tx, id);
      if (!current) throw new NotFoundException(`complaint ${id} not found`);
      before = current;
      const result = complaintTransition(snapshotOf(current), { userId: user.id, role: user.role }, dto, now, settings);
      if (!result.ok) throw new HttpException({ statusCode: result.status, error: result.status === 403 ? 'Forbidden' : 'Conflict', message: result.message }, result.status);
      const next = result.next;
      const answered = dto.action === 'respond' || dto.action === 'resolve';
      const updated = await this.complaints.update(tx, id, {
        state: next.state,
        level: next.level,
        on_ledger: next.onLedger,
        deadline: new Date(next.deadline),
        resolved_at: next.resolvedAt === null ? null : new Date(next.resolvedAt),
        ...(answered && !current.responded_at ? { responded_at: new Date(now) } : {}),
        ...(dto.action === 'rate' ? { satisfaction: dto.satisfaction } : {}),
        ...(dto.action === 'reopen' ? { reopened: current.reopened + 1 } : {}),
      });
      const note = dto.action === 'rate' ? `${dto.satisfaction}/5${dto.note ? ` ${dto.note}` : ''}` : dto.note;
      await this.step(tx, updated, new Date(now), user.id, user.role, dto.action, note);
      if (result.escalatedTo) await this.step(tx, updated, new Date(now), null, 'system', 'escalated', `reopened: to ${result.escalatedTo}`);
      return updated;
    });
    if (dto.action === 'reopen') await this.tellLevel(row, 'escalated');
    // The same level and deadline is the same job id: scheduling it again is a no-op. A replaced one is cancelled.
    if (row.state === 'open') await this.scheduleDeadline(row);
    if (before && before.state === 'open' && (row.state !== 'open' || row.deadline.getTime() !== before.deadline.getTime())) {
      await this.jobs.cancelSteps('complaints', [jobIds.complaintDeadline({ complaintId: id, level: before.level as ComplaintLevel, deadline: before.deadline.getTime() })]);
    }
    this.announce(row, dto.action);
    return this.detail(user, row);
  }

  // ---------------------------------------------------------------- deadlines

  private async scheduleDeadline(row: ComplaintRow, suffix = ''): Promise<void> {
    const data: DeadlineData = { complaintId: row.id, level: row.level as ComplaintLevel, deadline: row.deadline.getTime() };
    await this.jobs.schedule(complaintDeadlineJob, data, { jobId: jobIds.complaintDeadline(data, suffix), dueAt: data.deadline });
  }

  /** A deadline timer fired: the clock and the item decide (it may be early, or the item moved on). */
  async onDeadline(data: DeadlineData): Promise<void> {
    const settings = await this.settingsFor(data.complaintId);
    const now = this.clock.now();
    const row = await this.complaints.transaction(async (tx) => {
      const current = await this.complaints.lock(tx, data.complaintId);
      if (!current) return null;
      const decision = decideDeadline(snapshotOf(current), data, now, settings);
      switch (decision.kind) {
        case 'none':
          return null;
        case 'wait':
          return { row: current, wait: true, overdue: false };
        case 'overdue':
          await this.step(tx, current, new Date(now), null, 'system', 'overdue', null);
          return { row: current, wait: true, overdue: true };
        case 'escalate': {
          const updated = await this.complaints.update(tx, current.id, { level: decision.to, deadline: new Date(decision.deadline) });
          await this.step(tx, updated, new Date(now), null, 'system', 'escalated', `deadline ${new Date(data.deadline).toISOString()} passed at the ${data.level} level`);
          return { row: updated, wait: false, overdue: false };
        }
      }
    });
    if (!row) return;
    if (row.overdue) return this.announce(row.row, 'overdue');
    await this.scheduleDeadline(row.row, row.wait ? `-w${now}` : '');
    if (!row.wait) {
      await this.tellLevel(row.row, 'escalated');
      this.announce(row.row, 'escalated');
    }
  }

  /** The handlers of the level now holding the item (in scope, enabled, allowed to handle) get a notice too. */
  private async tellLevel(row: ComplaintRow, action: string): Promise<void> {
    const community = await this.communities.findById(row.community_id);
    if (!community) return;
    const candidates = await this.alarms.usersWithRoles([levelRole[row.level as ComplaintLevel]]);
    const ids = await this.access.usersReaching(candidates.map((u) => u.id), community, Permission.ComplaintHandle);
    const at = new Date(this.clock.now());
    for (const userId of ids) await this.complaints.addInbox({ userId, complaintId: row.id, action, level: row.level, at });
  }

  /** One step: the item's timeline, the audit log and the filer's notice, in the caller's transaction. */
  private async step(tx: Transaction<Database>, row: ComplaintRow, at: Date, actorId: string | null, actorRole: string, action: string, note: string | null): Promise<void> {
    await this.complaints.addEvent({ complaintId: row.id, at, actorId, actorRole, action, level: row.level, note }, tx);
    await this.complaints.addInbox({ userId: row.filed_by, complaintId: row.id, action, level: row.level, at }, tx);
    await this.audit.record({ actorId, action: `complaint.${action}`, subjectType: 'complaint', subjectId: row.id, detail: { level: row.level, state: row.state } }, tx);
  }

  // ---------------------------------------------------------------- links: alarm, emergency repair

  /**
   * Links the item to an alarm of its own community (an alarm of any other community is "not
   * found", as everywhere in the API); the alarm's history records the link too.
   */
  async linkAlarm(user: AuthUser, id: string, alarmId: string) {
    const current = await this.requireVisible(user, id);
    const alarm = await this.alarms.findById(alarmId);
    if (!alarm || alarm.community_id !== current.community_id) throw new NotFoundException(`alarm ${alarmId} not found`);
    if (current.alarm_id === alarmId) return this.detail(user, current);
    const now = new Date(this.clock.now());
    const row = await this.complaints.transaction(async (tx) => {
      const updated = await this.complaints.update(tx, id, { alarm_id: alarmId });
      await this.step(tx, updated, now, user.id, user.role, 'alarm_linked', alarmId);
      return updated;
    });
    await this.alarms.addEvent(alarmId, now, user.id, 'complaint_linked', { complaintId: id });
    this.announce(row, 'alarm_linked');
    return this.detail(user, row);
  }

  /**
   * Turns the item into an emergency repair (维修资金应急使用, green channel): a draft fund case
   * opened by the fund service's own path, with the item's text and photos as evidence; the case
   * names the item and the item its case (one case per item), both in the audit log.
   */
  async toFundCase(user: AuthUser, id: string, dto: ComplaintFundCaseRequest) {
    const current = await this.requireVisible(user, id);
    if (current.fund_case_id) throw new ConflictException(`complaint ${id} is already fund case ${current.fund_case_id}`);
    if (current.state === 'closed') throw new ConflictException(`complaint ${id} is closed`);
    const photos = await this.complaints.photos(id);
    const now = new Date(this.clock.now());
    const fundCase = await this.fund
      .openFromComplaint(
      user,
      { id, communityId: current.community_id, text: current.text, location: current.location, category: current.category, photos: photos.map((p) => ({ sha256: p.sha256, contentType: p.content_type, sizeBytes: p.size_bytes })) },
      dto,
      async (tx, caseId) => {
        const linked = await this.complaints.linkFundCase(tx, id, caseId);
        if (!linked) throw new ConflictException(`complaint ${id} was turned into a fund case meanwhile`);
        await this.step(tx, linked, now, user.id, user.role, 'fund_case_opened', caseId);
      },
    )
      .catch((error: unknown) => {
        // fund_cases.complaint_id is unique: a concurrent conversion won.
        if (isUniqueViolation(error)) throw new ConflictException(`complaint ${id} was turned into a fund case meanwhile`);
        throw error;
      });
    const row = (await this.complaints.find(id))!;
    this.announce(row, 'fund_case_opened');
    return { complaint: await this.detail(user, row), fundCaseId: fundCase.id };
  }

  /** Tells the community's readers of every item, and the person who filed it (socketEventPermission['complaint.changed']). */
  private announce(row: ComplaintRow, action: string): void {
    const now = this.clock.now();
    this.websocket.emitToCommunity(row.community_id, 'complaint.changed', {
      complaintId: row.id,
      communityId: row.community_id,
      filedBy: row.filed_by,
      action,
      state: row.state as ComplaintState,
      level: row.level as ComplaintLevel,
      deadline: row.deadline.toISOString(),
      overdue: row.state === 'open' && row.deadline.getTime() <= now,
      alarmId: row.alarm_id,
      fundCaseId: row.fund_case_id,
      ts: now,
    });
  }

  // ---------------------------------------------------------------- photos

  async addPhoto(user: AuthUser, id: string, file: { mimetype: string; buffer: Buffer } | undefined) {
    const row = await this.requireVisible(user, id);
    if (!file) throw new BadRequestException('a multipart field "file" is required');
    const check = checkEvidenceUpload(file.mimetype, file.buffer);
    if (!check.ok) throw new HttpException({ statusCode: check.status, message: check.message }, check.status);
    const stored = await this.files.store(file.buffer);
    const photo = await this.complaints.addPhoto({ complaint_id: row.id, content_type: check.contentType, size_bytes: stored.size, sha256: stored.sha256, created_by: user.id, created_at: new Date(this.clock.now()) });
    await this.audit.record({ actorId: user.id, action: 'complaint.photo_added', subjectType: 'complaint', subjectId: row.id, detail: { photoId: photo.id, sha256: stored.sha256 } });
    return { id: photo.id, contentType: photo.content_type, sizeBytes: photo.size_bytes, sha256: photo.sha256, createdAt: photo.created_at.toISOString() };
  }

  async readPhoto(user: AuthUser, id: string, photoId: string): Promise<{ contentType: string; content: Buffer }> {
    const row = await this.requireVisible(user, id);
    const photo = await this.complaints.findPhoto(row.id, photoId);
    if (!photo) throw new NotFoundException(`photo ${photoId} not found`);
    return { contentType: photo.content_type, content: await this.files.read(photo.sha256) };
  }

  // ---------------------------------------------------------------- settings, statistics, supervision, inbox

  private async settingsOf(communityId: string): Promise<ComplaintDeadlineSettings> {
    const s = await this.complaints.settings(communityId);
    return { resolveHours: s?.resolve_hours ?? {}, levelHours: s?.level_hours ?? {}, ledgerHours: s?.ledger_hours ?? undefined };
  }

  private async settingsFor(complaintId: string): Promise<ComplaintDeadlineSettings | undefined> {
    const row = await this.complaints.find(complaintId);
    return row ? this.settingsOf(row.community_id) : undefined;
  }

  async getSettings(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const s = await this.settingsOf(communityId);
    return {
      communityId,
      resolveHours: Object.fromEntries(complaintCategories.map((c) => [c, s.resolveHours[c] ?? defaultResolveHours[c]])) as Record<ComplaintCategory, number>,
      levelHours: { residents_committee: s.levelHours.residents_committee ?? defaultLevelHours.residents_committee, street: s.levelHours.street ?? defaultLevelHours.street, district: s.levelHours.district ?? defaultLevelHours.district },
      ledgerHours: s.ledgerHours ?? defaultLedgerHours,
    };
  }

  /** New deadlines apply to items filed or escalated from now on. */
  async setSettings(user: AuthUser, communityId: string, dto: ComplaintSettingsRequest) {
    await this.access.requireInScope(user, communityId);
    await this.complaints.saveSettings(communityId, dto.resolveHours, dto.levelHours, dto.ledgerHours ?? null);
    await this.audit.record({ actorId: user.id, action: 'complaint.settings.changed', subjectType: 'community', subjectId: communityId, detail: { ...dto } });
    return this.getSettings(user, communityId);
  }

  /** Per community of the caller's scope (or the one named): the figures of the last `days` days and the open items by level. */
  async statistics(user: AuthUser, query: { communityId?: string; days: number }) {
    const communities = query.communityId ? [await this.access.requireInScope(user, query.communityId)] : await this.communities.find(this.access.filterFor(user));
    const ids = communities.map((c) => c.id);
    const now = this.clock.now();
    const rows = await this.complaints.facts(ids, new Date(now - query.days * DAY));
    const stats = complaintStatistics(
      rows.map(complaintFact),
      now,
    );
    return communities.map((c) => {
      const byLevel = Object.fromEntries(complaintLevels.map((l) => [l, rows.filter((r) => r.community_id === c.id && r.state === 'open' && r.level === l).length])) as Record<ComplaintLevel, number>;
      const s = stats.get(c.id) ?? { count: 0, open: 0, overdue: 0, reopened: 0, repeat: 0, avgResponseMinutes: null, avgResolutionMinutes: null, rated: 0, avgSatisfaction: null };
      return { communityId: c.id, name: c.name, propertyCompanyId: c.property_company_id, ...s, byLevel };
    });
  }

  async inbox(user: AuthUser, limit: number) {
    const rows = await this.complaints.inbox(user.id, limit);
    return rows.map((r) => ({ id: String(r.id), complaintId: r.complaint_id, action: r.action, level: r.level as ComplaintLevel, createdAt: r.created_at.toISOString(), readAt: r.read_at?.toISOString() ?? null }));
  }

  // ---------------------------------------------------------------- scope and views

  /** In scope, and the caller's own unless they may read every item: anything else is "not found". */
  private async requireVisible(user: AuthUser, id: string): Promise<ComplaintRow> {
    const row = await this.complaints.find(id);
    await this.access.requireInScope(user, row?.community_id, `complaint ${id}`);
    if (!row || (row.filed_by !== user.id && !can(user, Permission.ComplaintReadAll))) throw new NotFoundException(`complaint ${id} not found`);
    return row;
  }

  private summary(r: ComplaintRow, now: number) {
    return {
      id: r.id,
      communityId: r.community_id,
      kind: r.kind,
      category: r.category as ComplaintCategory,
      text: r.text,
      location: r.location,
      state: r.state as ComplaintState,
      level: r.level as ComplaintLevel,
      onLedger: r.on_ledger,
      deadline: r.deadline.toISOString(),
      overdue: r.state === 'open' && r.deadline.getTime() <= now,
      filedAt: r.filed_at.toISOString(),
      respondedAt: r.responded_at?.toISOString() ?? null,
      resolvedAt: r.resolved_at?.toISOString() ?? null,
      satisfaction: r.satisfaction,
      alarmId: r.alarm_id,
      fundCaseId: r.fund_case_id,
    };
  }

  private async detail(user: AuthUser, r: ComplaintRow) {
    const [events, photos] = await Promise.all([this.complaints.events(r.id), this.complaints.photos(r.id)]);
    const seesContact = r.filed_by === user.id || can(user, Permission.ComplaintHandle);
    return {
      ...this.summary(r, this.clock.now()),
      filedBy: r.filed_by,
      contact: seesContact ? r.contact : null,
      photos: photos.map((p) => ({ id: p.id, contentType: p.content_type, sizeBytes: p.size_bytes, createdAt: p.created_at.toISOString() })),
      timeline: events.map((e) => ({ at: e.at.toISOString(), action: e.action, actorRole: e.actor_role, level: e.level as ComplaintLevel, note: e.note })),
      availableActions: this.actionsFor(user, r),
    };
  }

  /** What the caller may do with the item now: the state machine's actions, then the links its role allows. */
  private actionsFor(user: AuthUser, r: ComplaintRow): ComplaintAvailableAction[] {
    const live = r.state !== 'closed';
    return [
      ...availableComplaintActions(snapshotOf(r), { userId: user.id, role: user.role }, this.clock.now()),
      ...(live && can(user, Permission.ComplaintHandle) ? (['link_alarm'] as const) : []),
      ...(live && !r.fund_case_id && can(user, Permission.ComplaintFundCase) ? (['fund_case'] as const) : []),
    ];
  }
}
