import { ForbiddenException, Injectable } from '@nestjs/common';
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

  async get(user: AuthUser, id: string) {
    const community = await this.access.requireInScope(user, id);
    const { buildings, units } = await this.communities.buildingsWithUnits(id);
    return { ...mapCommunity(community), buildings: mapBuildings(buildings, units) };
  }
}
