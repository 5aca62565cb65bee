import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import type { UnblockPlateRequest } from '@app/contracts';
import { parsePlate } from '../domain/plates';
import { AuditRepository } from '../repositories/audit.repository';
import { ParkingRepository } from '../repositories/parking.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { ParkingGateService } from './parking-gate.service';

const staffRoles = ['platform_admin', 'property_staff'] as const;

/** Residents' registered vehicles (they pass the gate) and the session log. */
@Injectable()
export class ParkingVehicleService {
  constructor(
    private readonly repo: ParkingRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly gate: ParkingGateService,
  ) {}

  async register(user: AuthUser, dto: { communityId: string; plate: string; userId?: string }) {
    await this.access.requireInScope(user, dto.communityId);
    const userId = dto.userId ?? user.id;
    if (userId !== user.id && !(staffRoles as readonly string[]).includes(user.role)) throw new ForbiddenException('only property staff register vehicles for others');
    const plate = parsePlate(dto.plate);
    if (plate.kind === 'unknown') throw new BadRequestException({ message: 'plate is not a valid GA 36 plate', errors: [{ path: ['plate'], message: 'invalid plate' }] });
    const row = await this.repo.insertVehicle(dto.communityId, userId, plate.plate, plate.vehicleClass);
    this.gate.vehicleRegistered(dto.communityId, plate.plate);
    await this.audit.record({ actorId: user.id, action: 'parking.vehicle.registered', subjectType: 'plate', subjectId: plate.plate, detail: { communityId: dto.communityId, userId } });
    return { id: row.id, communityId: row.community_id, userId: row.user_id, plate: row.plate, kind: plate.kind };
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
