import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import type { UnblockPlateRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { can, Permission } from '../domain/permissions';
import { parsePlate } from '../domain/plates';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { ParkingRepository } from '../repositories/parking.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { ParkingGateService } from './parking-gate.service';

type VehicleRow = NonNullable<Awaited<ReturnType<ParkingRepository['findVehicle']>>>;

function vehicleView(v: VehicleRow) {
  return {
    id: v.id,
    communityId: v.community_id,
    userId: v.user_id,
    unitId: v.unit_id,
    plate: v.plate,
    kind: parsePlate(v.plate).kind,
    status: v.status,
    decidedBy: v.decided_by,
    decidedAt: v.decided_at ? new Date(v.decided_at).toISOString() : null,
    createdAt: new Date(v.created_at).toISOString(),
  };
}

/**
 * Residents' registered vehicles (they pass the gate), bound to the units their owners hold with
 * a quota per unit (PARKING_RESIDENT_PLATES_PER_UNIT); beyond it a plate waits for staff
 * approval and does not open the gate meanwhile. Also the session log.
 */
@Injectable()
export class ParkingVehicleService {
  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: ParkingRepository,
    private readonly communities: CommunityRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly gate: ParkingGateService,
  ) {}

  async register(user: AuthUser, dto: { communityId: string; plate: string; userId?: string; unitId?: string }) {
    await this.access.requireInScope(user, dto.communityId);
    const staff = can(user, Permission.ParkingPlateManage);
    const userId = dto.userId ?? user.id;
    if (userId !== user.id && !staff) throw new ForbiddenException('only property staff register vehicles for others');
    const plate = parsePlate(dto.plate);
    if (plate.kind === 'unknown') throw new BadRequestException({ message: 'plate is not a valid GA 36 plate', errors: [{ path: ['plate'], message: 'invalid plate' }] });
    const unitId = staff ? await this.staffUnit(dto.communityId, dto.unitId) : await this.ownUnit(user, dto.communityId, dto.unitId);
    const { vehicle, created } = await this.repo.registerVehicle({
      communityId: dto.communityId,
      userId,
      plate: plate.plate,
      vehicleClass: plate.vehicleClass,
      unitId,
      quota: this.config.parking.residentPlatesPerUnit,
      approvedBy: staff ? user.id : null,
    });
    if (!created && vehicle.user_id !== userId) throw new ConflictException(`plate ${plate.plate} is already registered in this community`);
    if (created) {
      if (vehicle.status === 'approved') this.gate.vehicleRegistered(dto.communityId, plate.plate);
      await this.audit.record({ actorId: user.id, action: 'parking.vehicle.registered', subjectType: 'plate', subjectId: plate.plate, detail: { communityId: dto.communityId, userId, unitId, status: vehicle.status } });
    }
    return vehicleView(vehicle);
  }

  /** Staff may name any unit of the community, or none (a company car, a plate registered before units). */
  private async staffUnit(communityId: string, unitId: string | undefined): Promise<string | null> {
    if (!unitId) return null;
    const unit = await this.communities.findUnit(unitId);
    if (!unit || unit.community_id !== communityId) throw new BadRequestException(`unit ${unitId} is not in this community`);
    return unit.id;
  }

  /** An owner registers for a unit they hold in the community. */
  private async ownUnit(user: AuthUser, communityId: string, unitId: string | undefined): Promise<string> {
    // A claim still awaiting verification (or refused) holds no unit yet.
    const units = (await this.communities.unitsOf(user.id)).filter((u) => u.community_id === communityId && u.status === 'verified');
    if (unitId) {
      if (!units.some((u) => u.id === unitId)) throw new ForbiddenException(`you are not linked to unit ${unitId}: ask property staff to link you to your unit`);
      return unitId;
    }
    if (units.length === 1) return units[0].id;
    if (units.length === 0) throw new ForbiddenException('resident plates belong to a unit: ask property staff to link you to your unit first');
    throw new BadRequestException({ message: 'you hold several units here: say which one (unitId)', errors: [{ path: ['unitId'], message: 'required' }] });
  }

  async list(user: AuthUser, communityId: string, status?: 'approved' | 'pending') {
    await this.access.requireInScope(user, communityId);
    return (await this.repo.vehiclesOf({ communityId, status })).map(vehicleView);
  }

  async mine(user: AuthUser) {
    return (await this.repo.vehiclesOf({ userId: user.id })).map(vehicleView);
  }

  async approve(user: AuthUser, id: string) {
    const found = await this.repo.findVehicle(id);
    await this.access.requireInScope(user, found?.community_id, `vehicle ${id}`);
    const vehicle = await this.repo.approveVehicle(id, user.id, new Date(this.clock.now()));
    if (!vehicle) throw new ConflictException(`vehicle ${id} is not waiting for approval`);
    this.gate.vehicleRegistered(vehicle.community_id, vehicle.plate);
    await this.audit.record({ actorId: user.id, action: 'parking.vehicle.approved', subjectType: 'plate', subjectId: vehicle.plate, detail: { communityId: vehicle.community_id, unitId: vehicle.unit_id, userId: vehicle.user_id } });
    return vehicleView(vehicle);
  }

  async remove(user: AuthUser, id: string) {
    const found = await this.repo.findVehicle(id);
    await this.access.requireInScope(user, found?.community_id, `vehicle ${id}`);
    if (found!.user_id !== user.id && !can(user, Permission.ParkingPlateManage)) throw new NotFoundException(`vehicle ${id} not found`);
    const vehicle = await this.repo.deleteVehicle(id);
    if (!vehicle) throw new NotFoundException(`vehicle ${id} not found`);
    this.gate.vehicleRemoved(vehicle.community_id, vehicle.plate);
    await this.audit.record({ actorId: user.id, action: vehicle.status === 'pending' ? 'parking.vehicle.refused' : 'parking.vehicle.removed', subjectType: 'plate', subjectId: vehicle.plate, detail: { communityId: vehicle.community_id, unitId: vehicle.unit_id, userId: vehicle.user_id } });
    return { id, removed: true };
  }

  /** Plates held at the gate (repeated overstays). Staff only. */
  async blockedPlates(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const rows = await this.repo.blockedPlatesOf(communityId);
    return rows.map((b) => ({ communityId: b.community_id, plate: b.plate, reason: b.reason, blockedAt: new Date(b.blocked_at).toISOString() }));
  }

  /** Staff lift the block of a plate; audited. Its overstays stay on record, so the next one blocks it again. */
  async unblock(user: AuthUser, dto: UnblockPlateRequest) {
    await this.access.requireInScope(user, dto.communityId);
    const plate = parsePlate(dto.plate).plate;
    const row = await this.repo.removeBlock(dto.communityId, plate);
    if (!row) throw new NotFoundException(`plate ${plate} is not blocked`);
    // A cache refresh that read the block list before the delete must not bring the block back.
    await this.gate.refresh();
    this.gate.plateUnblocked(dto.communityId, plate);
    await this.audit.record({ actorId: user.id, action: 'parking.plate.unblocked', subjectType: 'plate', subjectId: plate, detail: { communityId: dto.communityId, reason: row.reason, note: dto.note ?? null } });
    return { communityId: dto.communityId, plate, unblocked: true };
  }

  async sessions(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const rows = await this.repo.sessions(communityId, 200);
    return rows.map((s) => ({
      id: s.id,
      plate: s.plate,
      kind: s.kind,
      status: s.status,
      bookingId: s.booking_id,
      slotId: s.slot_id,
      entryAt: new Date(s.entry_at).toISOString(),
      exitAt: s.exit_at ? new Date(s.exit_at).toISOString() : null,
      overstayMinutes: s.overstay_minutes,
    }));
  }
}
