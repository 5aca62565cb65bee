import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { roleSchema, type AlarmClearCause, type AlarmEvent, type AlarmListQuery } from '@app/contracts';
import { manuallyClearable, severityOf } from '../domain/alarm-rules';
import { clearCausesFor, handOffFor } from '../domain/alarm-handling';
import { categoryOfAlarm } from '../domain/fund-profiles';
import { Permission, roleHas } from '../domain/permissions';
import { elapsedMs } from '../domain/service-statistics';
import { type AlarmRow, AlarmRepository } from '../repositories/alarm.repository';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { type AlarmNotice, EventBusRepository } from '../repositories/event-bus.repository';
import { FaultRepository } from '../repositories/fault.repository';
import { FundFileRepository } from '../repositories/fund.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { UserRepository } from '../repositories/user.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import { AlarmDispatchService } from './alarm-dispatch.service';
import type { AuthUser } from './auth-user';
import { attachmentColumns, readAttachment, storeCheckedUpload, type UploadedFileLike } from './uploads';

export interface RaiseRequest {
  communityId: string;
  deviceId: string;
  type: string;
  severity: number;
  source: 'device' | 'platform';
  ts: number;
  detail?: Record<string, unknown>;
}

/**
 * The alarm lifecycle: one open alarm per device and type (a repeat counts), acknowledge, assign,
 * comment, clear, arrival; history in alarm_events plus the audit log; every change goes out on
 * the event bus (fund, parking listen) and to the community's socket.io room.
 */
@Injectable()
export class AlarmService {
  private readonly logger = new Logger(AlarmService.name);
  /** Raise/clear of one device and type run in order, even on a pooled database. */
  private readonly serial = new Map<string, Promise<unknown>>();

  constructor(
    private readonly alarms: AlarmRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly bus: EventBusRepository,
    private readonly websocket: WebsocketRepository,
    private readonly dispatch: AlarmDispatchService,
    private readonly metrics: MetricsRepository,
    private readonly outbox: OutboxRepository,
    private readonly faults: FaultRepository,
    private readonly users: UserRepository,
    private readonly files: FundFileRepository,
  ) {
    outbox.handle('alarm.raised-follow-up', ({ alarmId }) => this.followUpLeftRaise(alarmId), { writerFollowsUp: true });
  }

  private inOrder<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.serial.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.serial.set(key, tail);
    void tail.then(() => {
      if (this.serial.get(key) === tail) this.serial.delete(key);
    });
    return next;
  }

  /**
   * Raised by detection (or the platform itself); a repeat updates the open alarm. `replayed` (the
   * rule outbox after a crash, maybe applied before): changes nothing and returns undefined when an
   * alarm of the device and type already has this ts or a later one (AlarmRepository.raise).
   */
  raise(r: RaiseRequest): Promise<AlarmRow>;
  raise(r: RaiseRequest, options: { replayed: boolean }): Promise<AlarmRow | undefined>;
  raise(r: RaiseRequest, { replayed = false }: { replayed?: boolean } = {}): Promise<AlarmRow | undefined> {
    return this.inOrder(`${r.deviceId}|${r.type}`, async () => {
      const at = new Date(this.clock.now());
      const raised = await this.alarms.raise(
        { communityId: r.communityId, deviceId: r.deviceId, type: r.type, severity: r.severity, source: r.source, at: new Date(r.ts), detail: r.detail ?? {} },
        // What must follow a raise commits with it (transactional outbox), so a crash cannot lose it:
        // its history and audit, a qualifying alarm's fund case, and the start of its escalation.
        async (tx, row, isNew) => {
          await this.alarms.addEvent(row.id, at, null, isNew ? 'raised' : 'repeated', { ts: r.ts, source: r.source, ...(r.detail ?? {}) }, tx);
          if (!isNew) return;
          await this.audit.record({ actorId: null, action: 'alarm.raised', subjectType: 'alarm', subjectId: row.id, detail: { type: r.type, deviceId: r.deviceId, severity: row.severity } }, tx);
          await this.outbox.add(tx, 'alarm.raised-follow-up', row.id, { alarmId: row.id });
          if (categoryOfAlarm(row.type) !== null) await this.outbox.add(tx, 'fund.case-for-alarm', row.id, this.notice(row));
        },
        replayed,
      );
      if (!raised) return undefined;
      const { alarm, inserted } = raised;
      this.faults.at('crash-after-alarm-insert');
      if (inserted) {
        this.outbox.kick();
        this.metrics.alarmsRaised.inc({ type: r.type, severity: String(alarm.severity) });
        await this.followUpRaise(alarm);
        await this.outbox.done('alarm.raised-follow-up', alarm.id);
      } else {
        this.announce('alarm.updated', alarm);
      }
      return alarm;
    });
  }

  /** Announced and its escalation started; again after a crash (the outbox), where both are idempotent. */
  private async followUpRaise(alarm: AlarmRow): Promise<void> {
    this.announce('alarm.raised', alarm);
    await this.dispatch.start(alarm);
  }

  /** A raise whose process died before its follow-up: done now, unless the alarm has ended meanwhile. */
  private async followUpLeftRaise(alarmId: string): Promise<void> {
    const alarm = await this.alarms.findById(alarmId);
    if (alarm?.state !== 'active') return;
    this.logger.warn(`alarm ${alarmId}: escalation started after a crash cut its raise short`);
    await this.followUpRaise(alarm);
  }

  /**
   * Cleared by detection (device says so, or the inferred condition ended). `raisedBy` (a clear
   * replayed from the rule outbox): only an alarm raised at or before then, not a later one.
   */
  clearByDevice(deviceId: string, type: string, actorId: string | null = null, reason = 'condition ended', raisedBy?: number): Promise<AlarmRow | undefined> {
    return this.inOrder(`${deviceId}|${type}`, async () => {
      const alarm = await this.alarms.clearOpen(deviceId, type, new Date(this.clock.now()), actorId, raisedBy === undefined ? undefined : new Date(raisedBy));
      if (!alarm) return undefined;
      await this.afterClear(alarm, actorId, reason);
      return alarm;
    });
  }

  private async afterClear(alarm: AlarmRow, actorId: string | null, reason: string, cause?: AlarmClearCause): Promise<void> {
    const detail = cause ? { reason, cause } : { reason };
    await this.alarms.addEvent(alarm.id, alarm.cleared_at ?? new Date(this.clock.now()), actorId, 'cleared', detail);
    await this.audit.record({ actorId, action: 'alarm.cleared', subjectType: 'alarm', subjectId: alarm.id, detail });
    this.announce('alarm.cleared', alarm);
    await this.dispatch.stop(alarm, 'cleared');
  }

  toEvent(a: AlarmRow): AlarmEvent {
    return {
      alarmId: a.id,
      deviceId: a.device_id,
      communityId: a.community_id,
      type: a.type,
      severity: a.severity,
      state: a.state,
      acknowledged: a.acknowledged,
      count: a.count,
      source: a.source,
      escalationTier: a.escalation_tier,
      assigneeId: a.assignee_id,
      ts: (a.state === 'cleared' && a.cleared_at ? a.cleared_at : a.last_at).getTime(),
    };
  }

  /** Tells the bus and the community's sockets (also used by the dispatch through wiring.ts). */
  announce(event: 'alarm.raised' | 'alarm.updated' | 'alarm.cleared', alarm: AlarmRow): void {
    this.bus.emit(event, this.notice(alarm));
    this.websocket.emitToCommunity(alarm.community_id, event, this.toEvent(alarm));
  }

  private notice(alarm: AlarmRow): AlarmNotice {
    const e = this.toEvent(alarm);
    return { alarmId: e.alarmId, deviceId: e.deviceId, communityId: e.communityId, type: e.type, severity: e.severity, state: e.state, ts: e.ts };
  }

  // ---------------------------------------------------------------- REST

  private view(a: AlarmRow) {
    return {
      ...this.toEvent(a),
      firstAt: a.first_at.toISOString(),
      lastAt: a.last_at.toISOString(),
      acknowledgedAt: a.acknowledged_at?.toISOString() ?? null,
      acknowledgedBy: a.acknowledged_by,
      clearedAt: a.cleared_at?.toISOString() ?? null,
      clearedBy: a.cleared_by,
      arrivedAt: a.arrived_at?.toISOString() ?? null,
      arrivedBy: a.arrived_by,
      /** Supervision figures: seconds from the alarm to acknowledgement and to arrival. */
      responseS: a.acknowledged_at ? Math.round(elapsedMs(a.first_at.getTime(), a.acknowledged_at.getTime()) / 1000) : null,
      arrivalS: a.arrived_at ? Math.round(elapsedMs(a.first_at.getTime(), a.arrived_at.getTime()) / 1000) : null,
      manualClear: manuallyClearable(a.type),
      clearCauses: [...clearCausesFor(a.type)],
      handOff: handOffFor(a.type),
      detail: a.detail,
    };
  }

  async list(user: AuthUser, q: AlarmListQuery) {
    let communityIds: string[];
    if (q.communityId) communityIds = [(await this.access.requireInScope(user, q.communityId)).id];
    else communityIds = await this.access.visibleCommunityIds(user);
    const rows = await this.alarms.list({
      communityIds,
      deviceId: q.deviceId,
      state: q.state,
      acknowledged: q.acknowledged,
      type: q.type,
      severity: q.severity,
      maxSeverity: q.maxSeverity,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      limit: q.limit,
      offset: q.offset,
    });
    return rows.map((r) => this.view(r));
  }

  private async load(user: AuthUser, id: string): Promise<AlarmRow> {
    const alarm = await this.alarms.findById(id);
    await this.access.requireInScope(user, alarm?.community_id, `alarm ${id}`);
    return alarm!;
  }

  async get(user: AuthUser, id: string) {
    const alarm = await this.load(user, id);
    const events = await this.alarms.events(id);
    return {
      ...this.view(alarm),
      history: events.map((e) => ({ at: e.at.toISOString(), actorId: e.actor_id, action: e.action, detail: e.detail })),
    };
  }

  async acknowledge(user: AuthUser, id: string, comment?: string) {
    await this.load(user, id);
    const now = new Date(this.clock.now());
    const alarm = await this.alarms.update(id, { acknowledged: true, acknowledged_at: now, acknowledged_by: user.id }, { acknowledged: false });
    if (!alarm) throw new ConflictException(`alarm ${id} is already acknowledged`);
    const responseMs = elapsedMs(alarm.first_at.getTime(), now.getTime());
    await this.alarms.addEvent(id, now, user.id, 'acknowledged', { responseMs, tier: alarm.escalation_tier, ...(comment ? { comment } : {}) });
    await this.audit.record({ actorId: user.id, action: 'alarm.acknowledged', subjectType: 'alarm', subjectId: id, detail: { responseMs } });
    this.announce('alarm.updated', alarm);
    await this.dispatch.stop(alarm, 'acknowledged');
    return this.view(alarm);
  }

  async assign(user: AuthUser, id: string, assigneeId: string) {
    const current = await this.load(user, id);
    const community = await this.access.requireInScope(user, current.community_id, `alarm ${id}`);
    if ((await this.access.usersReaching([assigneeId], community, Permission.AlarmHandle)).length === 0) {
      // One answer for unknown users and users of other communities: nothing to learn about them.
      throw new NotFoundException(`user ${assigneeId} not found among those who handle this community's alarms`);
    }
    const alarm = (await this.alarms.update(id, { assignee_id: assigneeId })) ?? current;
    await this.alarms.addEvent(id, new Date(this.clock.now()), user.id, 'assigned', { assigneeId, previous: current.assignee_id });
    await this.audit.record({ actorId: user.id, action: 'alarm.assigned', subjectType: 'alarm', subjectId: id, detail: { assigneeId } });
    this.announce('alarm.updated', alarm);
    return this.view(alarm);
  }

  async comment(user: AuthUser, id: string, text: string) {
    await this.load(user, id);
    await this.alarms.addEvent(id, new Date(this.clock.now()), user.id, 'commented', { text });
    await this.audit.record({ actorId: user.id, action: 'alarm.commented', subjectType: 'alarm', subjectId: id });
    return this.get(user, id);
  }

  /** A comment with a photo from the site, checked and stored like the fund's evidence; the history entry names the photo. */
  async commentWithPhoto(user: AuthUser, id: string, text: string | undefined, file: UploadedFileLike | undefined) {
    await this.load(user, id);
    const stored = await storeCheckedUpload(this.files, file);
    const now = new Date(this.clock.now());
    const photo = await this.alarms.addPhoto({ alarm_id: id, ...attachmentColumns(stored, user.id, now) });
    await this.alarms.addEvent(id, now, user.id, 'commented', { text: text || '', photoId: photo.id, fileName: photo.file_name, contentType: photo.content_type });
    await this.audit.record({ actorId: user.id, action: 'alarm.commented', subjectType: 'alarm', subjectId: id, detail: { photoId: photo.id, sha256: stored.sha256 } });
    return this.get(user, id);
  }

  async readPhoto(user: AuthUser, id: string, photoId: string): Promise<{ contentType: string; content: Buffer; fileName: string }> {
    await this.load(user, id);
    const photo = await this.alarms.findPhoto(id, photoId);
    if (!photo) throw new NotFoundException(`photo ${photoId} not found`);
    return readAttachment(this.files, photo);
  }

  /**
   * Manual clear, for every type the platform infers, even when the device reported it first
   * (a device-only fault clears when the device says so). Detection does not raise it again while
   * its conditions merely persist; a new device report or a new onset opens a new alarm.
   */
  async clear(user: AuthUser, id: string, comment?: string, cause?: AlarmClearCause) {
    const current = await this.load(user, id);
    if (cause !== undefined && !clearCausesFor(current.type).includes(cause)) throw new BadRequestException(`cause ${cause} does not fit a ${current.type} alarm`);
    if (current.state !== 'active') throw new ConflictException(`alarm ${id} is already cleared`);
    if (!manuallyClearable(current.type)) throw new ConflictException(`alarm ${id} was reported by the device and clears when the device reports it`);
    const alarm = await this.inOrder(`${current.device_id}|${current.type}`, async () => {
      const row = await this.alarms.update(id, { state: 'cleared', cleared_at: new Date(this.clock.now()), cleared_by: user.id }, { state: 'active' });
      if (row) await this.afterClear(row, user.id, comment ?? 'cleared by hand', cause);
      return row;
    });
    if (!alarm) throw new ConflictException(`alarm ${id} is already cleared`);
    return this.view(alarm);
  }

  /** Who has been told of the alarm (its 'notified' history), and whom the caller may assign it to: people of their own role (an administrator: anyone) who may handle the community's alarms. */
  async people(user: AuthUser, id: string) {
    const alarm = await this.load(user, id);
    const told = new Map<string, { tier: number | null; tierName: string | null; kind: string; at: string }>();
    for (const e of await this.alarms.events(id)) {
      if (e.action !== 'notified') continue;
      const d = e.detail as { tier?: number; tierName?: string; kind?: string; userIds?: string[] };
      for (const userId of d.userIds ?? []) if (!told.has(userId)) told.set(userId, { tier: d.tier ?? null, tierName: d.tierName ?? null, kind: d.kind ?? 'notify', at: e.at.toISOString() });
    }
    let assignableIds: string[] = [];
    if (roleHas(user.role, Permission.AlarmHandle)) {
      const community = await this.access.requireInScope(user, alarm.community_id, `alarm ${id}`);
      const roles = user.role === 'platform_admin' ? roleSchema.options.filter((r) => roleHas(r, Permission.AlarmHandle)) : [user.role];
      const candidates = (await this.alarms.usersWithRoles(roles)).map((u) => u.id);
      assignableIds = await this.access.usersReaching(candidates, community, Permission.AlarmHandle);
    }
    const names = new Map((await this.users.findByIds([...told.keys(), ...assignableIds])).map((u) => [u.id, u]));
    const nameOf = (userId: string) => names.get(userId)?.display_name || names.get(userId)?.username || userId;
    return {
      told: [...told].map(([userId, t]) => ({ userId, displayName: nameOf(userId), ...t })),
      assignable: assignableIds
        .filter((userId) => names.has(userId))
        .map((userId) => ({ userId, displayName: nameOf(userId), role: roleSchema.parse(names.get(userId)!.role) }))
        .sort((a, b) => a.displayName.localeCompare(b.displayName)),
    };
  }

  /** Someone reached the site: recorded for supervision, stops the arrival deadline. */
  async arrived(user: AuthUser, id: string) {
    await this.load(user, id);
    const now = new Date(this.clock.now());
    const alarm = await this.alarms.update(id, { arrived_at: now, arrived_by: user.id }, { arrived: false });
    if (!alarm) throw new ConflictException(`arrival at alarm ${id} is already recorded`);
    const arrivalMs = elapsedMs(alarm.first_at.getTime(), now.getTime());
    await this.alarms.addEvent(id, now, user.id, 'arrived', { arrivalMs });
    await this.audit.record({ actorId: user.id, action: 'alarm.arrived', subjectType: 'alarm', subjectId: id, detail: { arrivalMs } });
    this.announce('alarm.updated', alarm);
    await this.dispatch.stop(alarm, 'arrived');
    const overdue = await this.alarms.findOpen(alarm.device_id, 'arrival_overdue');
    if (overdue && overdue.detail.alarmId === id) await this.clearByDevice(alarm.device_id, 'arrival_overdue', user.id, 'arrival reported');
    return this.view(alarm);
  }

  severityOf(type: string): number {
    return severityOf(type);
  }

  flushPending(): Promise<unknown> {
    return Promise.all([...this.serial.values()]);
  }

  logFailure(what: string, error: unknown): void {
    this.logger.error(`${what}: ${(error as Error).stack ?? String(error)}`);
  }
}
