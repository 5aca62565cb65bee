import { Injectable, Logger, NotFoundException, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { SupervisionCounts } from '@app/contracts';
import { closedFundCaseStates } from '../domain/fund-case';
import { DirtySet, foldCounts } from '../domain/supervision';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository, type CommunityRow } from '../repositories/community.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { SupervisionSocketRepository } from '../repositories/supervision-socket.repository';
import { SupervisionRepository } from '../repositories/supervision.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

/** Coalescing window: a community's counts go out at most once per this period. */
const FLUSH_MS = 1000;
/** How often repair cases are checked for changes (the fund area has no in-process event). */
const FUND_POLL_MS = 2000;

export interface SupervisionRow extends SupervisionCounts {
  id: string;
  name: string;
  street: string;
  district: string;
}

/**
 * Supervision views for street and district officers: every community of their area with live
 * counts (active alarms by severity, devices online/offline, open repair cases and the nearest
 * deadline). Alarm and presence notices only mark a community dirty (O(1) on the ingestion
 * path); once a second the dirty communities are recounted with one query per kind and pushed
 * as 'supervision.community' to the supervision rooms.
 */
@Injectable()
export class SupervisionService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SupervisionService.name);
  private readonly dirty = new DirtySet();
  private flushTimer?: NodeJS.Timeout;
  private flushing = false;
  private fundWatermark: Date | null | undefined;
  private lastFundPoll = -Infinity;

  constructor(
    private readonly access: AccessService,
    private readonly communities: CommunityRepository,
    private readonly repository: SupervisionRepository,
    private readonly socket: SupervisionSocketRepository,
    private readonly bus: EventBusRepository,
    private readonly clock: ClockRepository,
  ) {}

  onModuleInit(): void {
    const mark = (e: { communityId: string }) => this.dirty.mark(e.communityId);
    this.bus.on('alarm.raised', mark);
    this.bus.on('alarm.updated', mark);
    this.bus.on('alarm.cleared', mark);
    this.bus.on('device.presence', (e) => this.dirty.mark(e.device.communityId));
    this.flushTimer = setInterval(() => void this.flush(), FLUSH_MS);
    this.flushTimer.unref();
  }

  onApplicationShutdown(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
  }

  async overview(user: AuthUser): Promise<SupervisionRow[]> {
    const rows = await this.communities.find(this.access.filterFor(user));
    return this.rowsOf(rows);
  }

  async community(user: AuthUser, communityId: string): Promise<SupervisionRow> {
    const row = await this.access.requireInScope(user, communityId);
    const [result] = await this.rowsOf([row]);
    if (!result) throw new NotFoundException(`community ${communityId} not found`);
    return result;
  }

  private async rowsOf(rows: CommunityRow[]): Promise<SupervisionRow[]> {
    const counts = await this.countsOf(rows.map((r) => r.id));
    return rows.map((r) => ({ id: r.id, name: r.name, street: r.street, district: r.district, ...counts.get(r.id)! }));
  }

  private async countsOf(ids: string[]): Promise<Map<string, SupervisionCounts>> {
    const [alarms, devices, fund, complaints] = await Promise.all([
      this.repository.activeAlarmCounts(ids),
      this.repository.devicesOnline(ids),
      this.repository.openFundCases(ids, closedFundCaseStates),
      this.repository.openComplaints(ids, new Date(this.clock.now())),
    ]);
    return foldCounts(ids, alarms, devices, fund, complaints);
  }

  /** Recounts the communities marked since the last flush and announces them. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      await this.pollFund();
      const ids = this.dirty.take();
      if (ids.length === 0) return;
      const counts = await this.countsOf(ids);
      const ts = this.clock.now();
      for (const [communityId, c] of counts) this.socket.emitCommunity({ communityId, ts, ...c });
    } catch (error) {
      this.logger.warn(`supervision flush failed: ${(error as Error).message}`);
    } finally {
      this.flushing = false;
    }
  }

  private async pollFund(): Promise<void> {
    const now = performance.now();
    if (now - this.lastFundPoll < FUND_POLL_MS) return;
    this.lastFundPoll = now;
    if (this.fundWatermark === undefined) {
      this.fundWatermark = (await this.repository.fundChangedSince(null)).newest;
      return;
    }
    const { communityIds, newest } = await this.repository.fundChangedSince(this.fundWatermark);
    this.fundWatermark = newest;
    for (const id of communityIds) this.dirty.mark(id);
  }
}
