import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { Permission } from '../domain/permissions';
import type { CreateCommunityRequest } from '@app/contracts';
import { AuditRepository } from '../repositories/audit.repository';
import { CommunityRepository, type BuildingRow, type CommunityRow, type UnitRow } from '../repositories/community.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

export function mapCommunity(c: CommunityRow & { device_count?: number }) {
  return {
    id: c.id,
    name: c.name,
    district: c.district,
    street: c.street,
    address: c.address,
    createdAt: c.created_at.toISOString(),
    ...(c.device_count !== undefined ? { deviceCount: c.device_count } : {}),
  };
}

function mapBuildings(buildings: BuildingRow[], units: UnitRow[]) {
  return buildings.map((b) => ({
    id: b.id,
    name: b.name,
    floors: b.floors,
    units: units.filter((u) => u.building_id === b.id).map((u) => ({ id: u.id, number: u.number, floorArea: u.floor_area })),
  }));
}

@Injectable()
export class CommunityService {
  constructor(
    private readonly communities: CommunityRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
  ) {}

  async create(user: AuthUser, input: CreateCommunityRequest) {
    if (!this.access.covers(user, { id: '', district: input.district, street: input.street })) {
      throw new ForbiddenException(`district ${input.district} is outside your scope`);
    }
    const { community, buildings, units } = await this.communities.create(input);
    await this.audit.record({ actorId: user.id, action: 'community.created', subjectType: 'community', subjectId: community.id, detail: { name: community.name } });
    return { ...mapCommunity(community), buildings: mapBuildings(buildings, units) };
  }

  async list(user: AuthUser) {
    return (await this.communities.find(this.access.filterFor(user))).map(mapCommunity);
  }

  async myUnits(user: AuthUser) {
    return (await this.communities.unitsOf(user.id)).map((u) => ({ id: u.id, communityId: u.community_id, buildingId: u.building_id, building: u.building_name, number: u.number, floorArea: u.floor_area, relation: u.relation, status: u.status, representative: u.representative }));
  }

  private async unitFor(user: AuthUser, unitId: string) {
    const unit = await this.communities.findUnit(unitId);
    const community = await this.access.requireInScope(user, unit?.community_id, `unit ${unitId}`);
    return { unit: unit!, community };
  }

  async occupants(user: AuthUser, unitId: string) {
    await this.unitFor(user, unitId);
    return (await this.communities.occupants(unitId)).map((o) => ({ userId: o.user_id, username: o.username, displayName: o.display_name, relation: o.relation, since: o.created_at.toISOString(), status: o.status, representative: o.representative, documentName: o.document_name }));
  }

  /** Only a user who belongs to the unit's community (an owner-type role, in scope) can hold it. */
  async linkOccupant(user: AuthUser, unitId: string, userId: string, relation: 'owner' | 'tenant') {
    const { unit, community } = await this.unitFor(user, unitId);
    if ((await this.access.usersReaching([userId], community, Permission.ParkingUse)).length === 0) {
      throw new BadRequestException(`user ${userId} is not a user of this community`);
    }
    await this.communities.addOccupant(unit.id, userId, relation, user.id);
    await this.audit.record({ actorId: user.id, action: 'unit.occupant.linked', subjectType: 'unit', subjectId: unit.id, detail: { userId, relation } });
    return this.occupants(user, unitId);
  }

  async unlinkOccupant(user: AuthUser, unitId: string, userId: string) {
    const { unit } = await this.unitFor(user, unitId);
    if (!(await this.communities.removeOccupant(unit.id, userId))) throw new NotFoundException(`user ${userId} does not hold unit ${unitId}`);
    await this.audit.record({ actorId: user.id, action: 'unit.occupant.unlinked', subjectType: 'unit', subjectId: unit.id, detail: { userId } });
    return this.occupants(user, unitId);
  }

  async get(user: AuthUser, id: string) {
    const community = await this.access.requireInScope(user, id);
    const { buildings, units } = await this.communities.buildingsWithUnits(id);
    return { ...mapCommunity(community), buildings: mapBuildings(buildings, units) };
  }
}
