import { randomUUID } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { GatePendingEvent, ManualOpenRequest, VehicleEvent } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { amountDue, decideExit, paysAtExit, type ExitDecision } from '../domain/exit-payment';
import { can, Permission } from '../domain/permissions';
import { decideGate, overstayMinutes, shouldBlock, type BookingWindow, type GateDecision, type SessionKind } from '../domain/parking-rules';
import { normalizePlate, parsePlate, type PlateInfo } from '../domain/plates';
import type { DeviceProfile } from '../domain/device-profile';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { EventBusRepository, type AlarmNotice } from '../repositories/event-bus.repository';
import { FaultRepository } from '../repositories/fault.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { toFen } from '../repositories/billing.schema';
import { ParkingRepository, type BookingRow, type ExitHoldRow, type SessionRow } from '../repositories/parking.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { BillingService } from './billing.service';
import { BrokerService } from './broker.service';
import { DeviceDirectoryService } from './device-directory.service';
import { OnlinePaymentService } from './online-payment.service';

const REFRESH_MS = 5_000;
const OCCUPANCY_MS = 1_000;
const PENDING_TTL_S = 24 * 3600;
/** A plate read again at the exit this long after its stay closed is looked up (held, paid, let out). */
const RECENT_EXIT_MS = 24 * 3600_000;

interface Inside {
  kind: SessionKind;
  bookingId?: string;
}

const k = (communityId: string, plate: string) => `${communityId}|${plate}`;

/**
 * The parking gate. A vehicle event is answered with `open` or `hold` on the gate's commands
 * topic straight from in-memory caches (residents, live bookings, block list, who is inside,
 * common slots, active fire alarms); the session, the gate log and the audit are written after
 * the command is on its way, one plate at a time so entry and exit stay in order. Caches are
 * reloaded from the database every few seconds (other processes' changes) and updated at once
 * for this process's own changes. Active fire alarms live in Redis, so free flow survives restarts.
 *
 * Pay before leaving (issue 13 §7): the exit of a visitor or booked stay is answered only once the
 * stay is priced (its bill, issued once); with money due the lane gets `hold` / `payment_due` with
 * the bill, the amount and the WeChat Pay code, and a row in parking_exit_holds; when the bill is
 * paid (any provider) that row is claimed once and the lane gets `open` / `paid`.
 */
@Injectable()
export class ParkingGateService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ParkingGateService.name);
  private residents = new Set<string>();
  private blocked = new Set<string>();
  private commonSlots = new Map<string, number>();
  private bookingsByPlate = new Map<string, BookingWindow[]>();
  private readonly inside = new Map<string, Inside>();
  private readonly fireAlarms = new Map<string, Set<string>>();
  private readonly emergencyPlates: Set<string>;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly dirtyOccupancy = new Set<string>();
  private refreshTimer?: NodeJS.Timeout;
  private occupancyTimer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: ParkingRepository,
    private readonly bus: EventBusRepository,
    private readonly broker: BrokerService,
    private readonly directory: DeviceDirectoryService,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly redis: RedisRepository,
    private readonly ws: WebsocketRepository,
    private readonly metrics: MetricsRepository,
    private readonly faults: FaultRepository,
    private readonly billing: BillingService,
    private readonly payments: OnlinePaymentService,
  ) {
    this.emergencyPlates = new Set(config.parking.emergencyPlates.map(normalizePlate));
    this.bus.on('device.event', ({ device, event, ts }) => {
      if (device.kind === 'gate' && (event as VehicleEvent).type === 'vehicle') this.onVehicle(device, event as VehicleEvent, ts);
    });
    this.bus.on('alarm.raised', (a) => this.onAlarm(a, true));
    this.bus.on('alarm.updated', (a) => {
      if (/clear|resolv|closed/.test(a.state)) this.onAlarm(a, false);
    });
    this.bus.on('alarm.cleared', (a) => this.onAlarm(a, false));
    this.bus.on('billing.bill.paid', ({ billId }) => {
      this.openPaidLanes(billId).catch((e: Error) => this.logger.warn(`lane held for bill ${billId} not opened yet (${e.message}): the sweep retries`));
    });
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    await this.loadInside();
    const alarms = await this.redis.activeFireAlarms();
    for (const [alarmId, communityId] of Object.entries(alarms)) this.fireSet(communityId).add(alarmId);
    this.refreshTimer = setInterval(() => {
      void this.refresh().catch((e: Error) => this.logger.warn(`cache refresh failed: ${e.message}`));
      // Lanes held for bills paid while the notice was lost (another process without MQTT, a crash).
      void this.openPaidLanes().catch((e: Error) => this.logger.warn(`paid-lane sweep failed: ${e.message}`));
    }, REFRESH_MS);
    this.occupancyTimer = setInterval(() => this.flushOccupancy(), OCCUPANCY_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.refreshTimer);
    clearInterval(this.occupancyTimer);
    await Promise.allSettled([...this.chains.values()]);
  }

  /** Reloads residents, bookings, block list and common slots from the database. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const [vehicles, blocked, bookings, common] = await Promise.all([
          this.repo.vehicles(),
          this.repo.blockedPlates(),
          this.repo.liveBookings(new Date(this.clock.now() - 3600_000)),
          this.repo.commonSlotCounts(),
        ]);
        this.residents = new Set(vehicles.map((v) => k(v.community_id, v.plate)));
        this.blocked = new Set(blocked.map((b) => k(b.community_id, b.plate)));
        const byPlate = new Map<string, BookingWindow[]>();
        for (const b of bookings) {
          const key = k(b.community_id, b.plate);
          byPlate.set(key, [...(byPlate.get(key) ?? []), toWindow(b)]);
        }
        this.bookingsByPlate = byPlate;
        this.commonSlots = new Map(common.map((c) => [c.community_id, Number(c.n)]));
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async loadInside(): Promise<void> {
    for (const s of await this.repo.openSessions()) this.inside.set(k(s.community_id, s.plate), { kind: s.kind, bookingId: s.booking_id ?? undefined });
  }

  /** A booking of this process changed: update the cache at once. */
  bookingChanged(b: BookingRow): void {
    const key = k(b.community_id, b.plate);
    const others = (this.bookingsByPlate.get(key) ?? []).filter((w) => w.id !== b.id);
    if (b.status === 'booked' || b.status === 'active') others.push(toWindow(b));
    if (others.length) this.bookingsByPlate.set(key, others);
    else this.bookingsByPlate.delete(key);
  }

  /** Staff lifted a block: the plate passes at once in this process (others on their next refresh). */
  plateUnblocked(communityId: string, plate: string): void {
    this.blocked.delete(k(communityId, plate));
  }

  vehicleRegistered(communityId: string, plate: string): void {
    this.residents.add(k(communityId, plate));
  }

  /** A resident plate was removed: it stops passing at once in this process (others on their next refresh). */
  vehicleRemoved(communityId: string, plate: string): void {
    this.residents.delete(k(communityId, plate));
  }

  fireFreeFlow(communityId: string): boolean {
    return (this.fireAlarms.get(communityId)?.size ?? 0) > 0;
  }

  freeCommonSlots(communityId: string): number {
    let visitors = 0;
    const prefix = `${communityId}|`;
    for (const [key, v] of this.inside) if (v.kind === 'visitor' && key.startsWith(prefix)) visitors++;
    return Math.max(0, (this.commonSlots.get(communityId) ?? 0) - visitors);
  }

  // ---- the decision path
  private onVehicle(device: DeviceProfile, event: VehicleEvent, ts: number): void {
    const started = process.hrtime.bigint();
    const now = this.clock.now();
    const plate = parsePlate(event.plate);
    const key = k(device.communityId, plate.plate);
    const decision = decideGate({
      direction: event.direction,
      plate,
      now,
      fireFreeFlow: this.fireFreeFlow(device.communityId),
      whitelisted: this.emergencyPlates.has(plate.plate),
      blocked: this.blocked.has(key),
      resident: this.residents.has(key),
      bookings: this.bookingsByPlate.get(key) ?? [],
      freeCommonSlots: this.freeCommonSlots(device.communityId),
      earlyArrivalMin: this.config.parking.earlyArrivalMin,
    });
    const insideKind = this.inside.get(key)?.kind;
    if (event.direction === 'out' && decision.cmd === 'open' && decision.reason === 'exit' && insideKind !== 'resident' && insideKind !== 'emergency') {
      // Pay before leaving: the stay is priced before the lane is answered, in the plate's order.
      this.enqueue(key, () => this.checkout(device, event, plate, ts, started));
      return;
    }
    const id = randomUUID();
    this.broker
      .sendCommand(device.id, { id, cmd: decision.cmd, lane: event.lane, reason: decision.reason })
      .catch((e: Error) => this.logger.warn(`gate ${device.id}: command not sent: ${e.message}`));
    this.metrics.parkingGateDecisions.inc({ cmd: decision.cmd, reason: decision.reason });
    this.metrics.parkingGateDecisionSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);

    // Keep the in-memory picture in step before the next event, then record.
    if (plate.kind !== 'unknown' && decision.cmd === 'open') {
      if (event.direction === 'in' && decision.kind) this.inside.set(key, { kind: decision.kind, bookingId: decision.bookingId });
      if (event.direction === 'out') this.inside.delete(key);
      this.dirtyOccupancy.add(device.communityId);
    }
    this.enqueue(key, () => this.record(device, event, plate, decision, ts, null));
  }

  private enqueue(key: string, work: () => Promise<void>): void {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(work).catch((e: Error) => this.logger.error(`parking record failed: ${e.stack ?? e.message}`));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /**
   * An exit read of a stay that may owe money: closes the stay (or finds the one that closed on an
   * earlier read), has it billed (once), and answers the lane: open when nothing is due or it is
   * paid (within the grace), else hold with what is due and where to pay.
   */
  private async checkout(device: DeviceProfile, event: VehicleEvent, plate: PlateInfo, ts: number, started: bigint): Promise<void> {
    const now = this.clock.now();
    const key = k(device.communityId, plate.plate);
    const session =
      (await this.closeStay(device, event.lane, plate.plate, new Date(ts))) ??
      (await this.repo.latestClosedSession(device.communityId, plate.plate, new Date(now - RECENT_EXIT_MS)));
    if (this.inside.delete(key)) this.dirtyOccupancy.add(device.communityId);
    let answer: { decision: ExitDecision | { cmd: 'hold'; reason: 'billing_unavailable'; toPerson: true }; extra: Record<string, unknown> };
    try {
      answer = await this.exitAnswer(device, event.lane, plate.plate, session, now);
    } catch (error) {
      // Priced later by the billing job or sweep (the closed session is the outbox row); a person opens meanwhile.
      this.logger.warn(`exit of ${plate.plate} at ${device.id}: stay not priced (${(error as Error).message}); routed to staff`);
      answer = { decision: { cmd: 'hold', reason: 'billing_unavailable', toPerson: true }, extra: {} };
    }
    const { decision, extra } = answer;
    const id = randomUUID();
    await this.broker
      .sendCommand(device.id, { id, cmd: decision.cmd, lane: event.lane, reason: decision.reason, ...extra })
      .catch((e: Error) => this.logger.warn(`gate ${device.id}: command not sent: ${e.message}`));
    this.metrics.parkingGateDecisions.inc({ cmd: decision.cmd, reason: decision.reason });
    this.metrics.parkingGateDecisionSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    // Held lanes are also a staff decision: the booth takes cash or opens by hand (pendingId, direction 'out').
    const gateDecision: GateDecision = { cmd: decision.cmd, reason: decision.reason, toPerson: decision.cmd === 'hold' ? true : undefined };
    await this.recordDecision(device, event, plate, gateDecision, ts, null);
    // A payment booked while this read was being answered: its notice found no hold yet.
    if (decision.reason === 'payment_due') await this.openPaidLanes(extra.billId as string);
  }

  /** The exit decision for the stay and the fields the gate shows with it. */
  private async exitAnswer(device: DeviceProfile, lane: string, plate: string, session: SessionRow | undefined, now: number) {
    const open = { decision: { cmd: 'open', reason: 'exit' } as ExitDecision, extra: {} };
    if (!session || !paysAtExit(session.kind)) return open;
    let priced: Awaited<ReturnType<BillingService['billForExit']>>;
    try {
      priced = await this.billing.billForExit(session.id);
    } catch (error) {
      // No tariff filed for the community: nothing can be charged, the lane opens as before.
      if (error instanceof UnrecoverableError) return open;
      throw error;
    }
    if (!priced) return open;
    const { bill, paidAt } = priced;
    const hold = await this.repo.exitHold(bill.id);
    const decision = decideExit({
      kind: session.kind,
      bill: { amountFen: toFen(bill.amount_fen), paidFen: toFen(bill.paid_fen), refundedFen: toFen(bill.refunded_fen) },
      paidAt,
      releasedAt: hold?.released_at ? new Date(hold.released_at).getTime() : null,
      now,
      graceMin: this.config.parking.exitPaidGraceMin,
    });
    if (decision.cmd === 'open') return { decision, extra: { billId: bill.id } };
    if (decision.reason !== 'payment_due') return { decision, extra: { billId: bill.id } };
    const order = await this.payments.exitLaneOrder(bill, decision.dueFen).catch((e: Error) => {
      this.logger.warn(`bill ${bill.id}: no WeChat Pay code for the exit lane (${e.message}); pay at the booth`);
      return undefined;
    });
    await this.repo.holdExit({ bill_id: bill.id, session_id: session.id, community_id: device.communityId, plate, device_id: device.id, lane, held_at: new Date(now) });
    return { decision, extra: { billId: bill.id, amountFen: Number(decision.dueFen), ...(order ? { payUrl: order.codeUrl } : {}) } };
  }

  /**
   * Opens the lanes held for bills now paid in full (one bill, or every such bill for the sweep).
   * Each hold is claimed once in the database, so the lane gets its 'open' once; a command that
   * cannot be sent from this process gives the claim back for the next sweep.
   */
  async openPaidLanes(billId?: string): Promise<number> {
    let opened = 0;
    for (const h of await this.repo.claimPaidHolds(new Date(this.clock.now()), billId)) {
      if (await this.openHeldLane(h, 'paid')) opened++;
      else await this.repo.unclaimHold(h.bill_id, h.release_command_id!);
    }
    return opened;
  }

  private async openHeldLane(h: ExitHoldRow, reason: 'paid' | 'fire_free_flow'): Promise<boolean> {
    try {
      await this.broker.sendCommand(h.device_id, { id: h.release_command_id!, cmd: 'open', lane: h.lane, reason, billId: h.bill_id });
    } catch (error) {
      this.logger.warn(`gate ${h.device_id}: 'open' for bill ${h.bill_id} not sent: ${(error as Error).message}`);
      return false;
    }
    this.metrics.parkingGateDecisions.inc({ cmd: 'open', reason });
    const p = parsePlate(h.plate);
    await this.repo.recordGateEvent({ at: new Date(this.clock.now()), community_id: h.community_id, device_id: h.device_id, lane: h.lane, direction: 'out', raw_plate: h.plate, plate: p.plate, plate_kind: p.kind, cmd: 'open', reason, actor_id: null });
    return true;
  }

  private async record(device: DeviceProfile, event: VehicleEvent, plate: PlateInfo, decision: GateDecision, ts: number, actorId: string | null): Promise<void> {
    if (!(await this.recordDecision(device, event, plate, decision, ts, actorId))) return;
    if (decision.cmd !== 'open') return;
    const at = new Date(ts);
    if (event.direction === 'in') return this.enter(device, event.lane, plate, decision, at);
    await this.closeStay(device, event.lane, plate.plate, at);
    // Staff let the car out by hand: a lane held for its bill is released, a later payment opens nothing.
    if (actorId && plate.plate) await this.repo.releaseHolds(device.communityId, 'manual', at, plate.plate);
  }

  /** The gate log, the audit of emergency passages, and a decision routed to a person; false when it went to a person. */
  private async recordDecision(device: DeviceProfile, event: VehicleEvent, plate: PlateInfo, decision: GateDecision, ts: number, actorId: string | null): Promise<boolean> {
    const at = new Date(ts);
    await this.repo.recordGateEvent({
      at,
      community_id: device.communityId,
      device_id: device.id,
      lane: event.lane,
      direction: event.direction,
      raw_plate: event.plate,
      plate: plate.plate,
      plate_kind: plate.kind,
      cmd: decision.cmd,
      reason: decision.reason,
      actor_id: actorId,
    });
    if (decision.reason === 'emergency') {
      await this.audit.record({ actorId, action: 'parking.gate.emergency', subjectType: 'device', subjectId: device.id, detail: { plate: plate.plate, lane: event.lane, direction: event.direction } });
    }
    if (decision.toPerson) {
      const pending: GatePendingEvent = {
        pendingId: randomUUID(),
        communityId: device.communityId,
        deviceId: device.id,
        lane: event.lane,
        direction: event.direction,
        rawPlate: event.plate,
        plate: plate.plate,
        reason: decision.reason,
        ts: ts,
      };
      await this.redis.savePendingGateDecision(pending.pendingId, JSON.stringify(pending), PENDING_TTL_S);
      this.ws.emitToCommunity(device.communityId, 'parking.gate.pending', pending);
      return false;
    }
    return true;
  }

  private async enter(device: DeviceProfile, lane: string, plate: PlateInfo, decision: GateDecision, at: Date): Promise<void> {
    if (!plate.plate) return;
    const session = await this.repo.openSession({
      community_id: device.communityId,
      slot_id: decision.slotId ?? null,
      booking_id: decision.bookingId ?? null,
      plate: plate.plate,
      plate_kind: plate.kind,
      vehicle_class: plate.vehicleClass,
      energy: plate.energy,
      kind: decision.kind ?? 'visitor',
      entry_at: at,
      entry_lane: lane,
      entry_device_id: device.id,
      entry_reason: decision.reason,
    });
    if (!session) return; // already inside: duplicate entry event
    if (decision.bookingId) {
      const row = await this.repo.transitionBooking(decision.bookingId, ['booked'], { status: 'active' });
      if (row) this.bookingChanged(row);
    }
  }

  /** Closes the plate's open stay (booking completed, overstay recorded) and announces it for billing; undefined when none was open. */
  private async closeStay(device: Pick<DeviceProfile, 'communityId'> & { id: string | null }, lane: string | null, plate: string, at: Date): Promise<SessionRow | undefined> {
    if (!plate) return undefined;
    const session = await this.repo.closeSession(device.communityId, plate, { at, lane, deviceId: device.id });
    if (!session) return undefined; // nobody inside with this plate: a duplicate exit event closes nothing
    // The closed, unbilled session is itself the outbox row of its bill: billing's sweep bills it after a crash here.
    this.faults.at('crash-after-gate-exit');
    if (session.booking_id) {
      const booking = await this.repo.transitionBooking(session.booking_id, ['active'], { status: 'completed' });
      if (booking) {
        this.bookingChanged(booking);
        const minutes = overstayMinutes(new Date(booking.ends_at).getTime(), booking.departure_grace_min, at.getTime());
        if (minutes > 0) {
          await this.repo.finishOverstay(booking.id, session.id, at, minutes);
          await this.repo.setOverstay(session.id, minutes);
          const count = await this.repo.overstayCount(device.communityId, plate);
          if (shouldBlock(count, this.config.parking.blockAfterOverstays)) {
            await this.repo.block(device.communityId, plate, `${count} overstays`);
            this.blocked.add(k(device.communityId, plate));
            await this.audit.record({ actorId: null, action: 'parking.plate.blocked', subjectType: 'plate', subjectId: plate, detail: { communityId: device.communityId, overstays: count } });
          }
        }
      }
    }
    this.bus.emit('parking.session.closed', { sessionId: session.id, communityId: device.communityId });
    return session;
  }

  /**
   * Pay before driving to the exit (场内预付): staff at the booth, or the guest of a booked stay,
   * end the stay now and get its bill (once; a second call returns the same). Once the bill is
   * paid the car passes the exit lane at once within the grace after paying. Audited.
   */
  /** The same for the guest who knows their booking, not the session: the stay their car entered on. */
  async checkoutBooking(user: AuthUser, bookingId: string) {
    const booking = await this.repo.findBooking(bookingId);
    const session = booking?.user_id === user.id ? await this.repo.sessionOfBooking(bookingId) : undefined;
    if (!session) throw new NotFoundException(`no stay of booking ${bookingId} to check out`);
    return this.checkoutStay(user, session.id);
  }

  async checkoutStay(user: AuthUser, sessionId: string) {
    const found = await this.repo.findSession(sessionId);
    const guest = found?.booking_id ? (await this.repo.findBooking(found.booking_id))?.user_id : undefined;
    // The guest of the booked stay (an owner, or a visitor from outside, who has no scope), else staff of the community.
    if (!found || guest !== user.id) {
      if (can(user, Permission.VisitorParking)) throw new NotFoundException(`session ${sessionId} not found`);
      await this.access.requireInScope(user, found?.community_id, `session ${sessionId}`);
      if (!can(user, Permission.GateOperate)) throw new NotFoundException(`session ${sessionId} not found`);
    }
    const session = found!;
    if (!paysAtExit(session.kind)) throw new ConflictException(`a ${session.kind} stay does not pay at the exit`);
    const at = new Date(this.clock.now());
    const closed = session.status === 'open' ? await this.closeStay({ communityId: session.community_id, id: null }, null, session.plate, at) : undefined;
    if (closed) {
      if (this.inside.delete(k(session.community_id, session.plate))) this.dirtyOccupancy.add(session.community_id);
      await this.audit.record({ actorId: user.id, action: 'parking.session.checked_out', subjectType: 'parking_session', subjectId: sessionId, detail: { communityId: session.community_id, plate: session.plate } });
    }
    const ended = closed ?? (await this.repo.findSession(sessionId))!;
    const priced = await this.billing.billForExit(sessionId).catch((error: Error) => {
      if (error instanceof UnrecoverableError) return null; // no tariff in force: nothing due
      throw error;
    });
    const bill = priced?.bill;
    const amount = bill ? toFen(bill.amount_fen) : 0n;
    const due = bill ? amountDue({ amountFen: amount, paidFen: toFen(bill.paid_fen), refundedFen: toFen(bill.refunded_fen) }) : 0n;
    return { sessionId, billId: bill?.id ?? null, amountFen: Number(amount), dueFen: Number(due), exitAt: new Date(ended.exit_at!).toISOString(), paidGraceMin: this.config.parking.exitPaidGraceMin };
  }

  // ---- a person decides
  /** Opens a gate lane from the dashboard (an unreadable plate, an ambulance…). Scope-checked and audited. */
  async manualOpen(user: AuthUser, deviceId: string, dto: ManualOpenRequest) {
    const found = await this.directory.get(deviceId);
    await this.access.requireInScope(user, found?.kind === 'gate' ? found.communityId : undefined, `gate ${deviceId}`);
    const device = found!;
    let pending: GatePendingEvent | undefined;
    if (dto.pendingId) {
      const raw = await this.redis.takePendingGateDecision(dto.pendingId);
      if (!raw) throw new NotFoundException(`pending decision ${dto.pendingId} not found or already resolved`);
      pending = JSON.parse(raw) as GatePendingEvent;
      if (pending.deviceId !== deviceId) throw new BadRequestException('the pending decision belongs to another gate');
    }
    const id = randomUUID();
    const lane = pending?.lane ?? dto.lane;
    await this.broker.sendCommand(device.id, { id, cmd: 'open', lane, reason: 'manual' });
    const plate = parsePlate(dto.plate ?? pending?.plate ?? '');
    const direction = pending?.direction ?? 'in';
    const now = this.clock.now();
    await this.audit.record({ actorId: user.id, action: 'parking.gate.manual_open', subjectType: 'device', subjectId: device.id, detail: { lane, pendingId: dto.pendingId ?? null, plate: plate.plate, note: dto.note ?? null } });
    const key = k(device.communityId, plate.plate);
    const decision: GateDecision = { cmd: 'open', reason: 'manual', kind: 'visitor' };
    if (plate.plate) {
      if (direction === 'in') this.inside.set(key, { kind: 'visitor' });
      else this.inside.delete(key);
      this.dirtyOccupancy.add(device.communityId);
    }
    await new Promise<void>((resolve) => {
      this.enqueue(key, async () => {
        try {
          await this.record(device, { type: 'vehicle', lane, direction, plate: plate.plate }, plate, decision, now, user.id);
        } finally {
          resolve();
        }
      });
    });
    return { commandId: id, deviceId: device.id, lane, cmd: 'open' as const };
  }

  // ---- fire alarms: free flow
  private onAlarm(a: AlarmNotice, active: boolean): void {
    if (a.type !== 'fire') return;
    const set = this.fireSet(a.communityId);
    const had = set.size > 0;
    if (active) set.add(a.alarmId);
    else set.delete(a.alarmId);
    this.redis.setFireAlarm(a.alarmId, a.communityId, active).catch((e: Error) => this.logger.warn(`fire alarm state not saved: ${e.message}`));
    if (had !== set.size > 0) {
      this.logger.warn(`community ${a.communityId}: gates ${set.size > 0 ? 'switch to free flow (fire alarm)' : 'back to normal'}`);
      this.dirtyOccupancy.add(a.communityId);
    }
    // Free flow opens every lane, those held for payment too (their bills stay due).
    if (active) this.openHeldLanesForFire(a.communityId).catch((e: Error) => this.logger.error(`fire: held exit lanes of ${a.communityId} not opened: ${e.message}`));
  }

  private async openHeldLanesForFire(communityId: string): Promise<void> {
    for (const h of await this.repo.releaseHolds(communityId, 'fire', new Date(this.clock.now()))) await this.openHeldLane(h, 'fire_free_flow');
  }

  private fireSet(communityId: string): Set<string> {
    let s = this.fireAlarms.get(communityId);
    if (!s) this.fireAlarms.set(communityId, (s = new Set()));
    return s;
  }

  // ---- occupancy
  occupancy(communityId: string) {
    const byKind: Record<string, number> = { booking: 0, resident: 0, visitor: 0, emergency: 0 };
    const prefix = `${communityId}|`;
    let inside = 0;
    for (const [key, v] of this.inside) {
      if (!key.startsWith(prefix)) continue;
      inside++;
      byKind[v.kind] = (byKind[v.kind] ?? 0) + 1;
    }
    return {
      communityId,
      inside,
      byKind,
      commonSlots: this.commonSlots.get(communityId) ?? 0,
      freeCommonSlots: this.freeCommonSlots(communityId),
      fireFreeFlow: this.fireFreeFlow(communityId),
      ts: this.clock.now(),
    };
  }

  async occupancyFor(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    return this.occupancy(communityId);
  }

  private flushOccupancy(): void {
    for (const communityId of this.dirtyOccupancy) this.ws.emitToCommunity(communityId, 'parking.occupancy', this.occupancy(communityId));
    this.dirtyOccupancy.clear();
  }

  /** Waits until every pending record is written (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }
}

function toWindow(b: BookingRow): BookingWindow {
  return {
    id: b.id,
    slotId: b.slot_id,
    plate: b.plate,
    startsAt: new Date(b.starts_at).getTime(),
    endsAt: new Date(b.ends_at).getTime(),
    arrivalGraceMin: b.arrival_grace_min,
    departureGraceMin: b.departure_grace_min,
    status: b.status as 'booked' | 'active',
  };
}
