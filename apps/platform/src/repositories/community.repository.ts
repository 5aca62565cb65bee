import { Injectable } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import type { CreateCommunityRequest } from '@app/contracts';
import { DatabaseRepository } from './database.repository';
import type { BuildingTable, CommunityTable, UnitTable } from './database.schema';

export type CommunityRow = Selectable<CommunityTable>;
export type BuildingRow = Selectable<BuildingTable>;
export type UnitRow = Selectable<UnitTable>;

/** Which communities a query may touch: all, or a list, or every community of a street or district. */
export type CommunityFilter =
  | { all: true }
  | { ids: string[] }
  | { district: string; street?: string };

@Injectable()
export class CommunityRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  async create(input: CreateCommunityRequest): Promise<{ community: CommunityRow; buildings: BuildingRow[]; units: UnitRow[] }> {
    return this.db.transaction().execute(async (tx) => {
      const community = await tx
        .insertInto('communities')
        .values({ name: input.name, district: input.district, street: input.street, address: input.address ?? null })
        .returningAll()
        .executeTakeFirstOrThrow();
      const buildings: BuildingRow[] = [];
      const units: UnitRow[] = [];
      for (const b of input.buildings) {
        const building = await tx
          .insertInto('buildings')
          .values({ community_id: community.id, name: b.name, floors: b.floors ?? null })
          .returningAll()
          .executeTakeFirstOrThrow();
        buildings.push(building);
        if (b.units.length > 0) {
          units.push(
            ...(await tx
              .insertInto('units')
              .values(b.units.map((u) => ({ building_id: building.id, community_id: community.id, number: u.number, floor_area: u.floorArea })))
              .returningAll()
              .execute()),
          );
        }
      }
      return { community, buildings, units };
    });
  }

  async find(filter: CommunityFilter): Promise<Array<CommunityRow & { device_count: number }>> {
    let query = this.db
      .selectFrom('communities')
      .selectAll('communities')
      .select((eb) =>
        eb.selectFrom('devices').whereRef('devices.community_id', '=', 'communities.id').select(sql<number>`count(*)::int`.as('c')).as('device_count'),
      )
      .orderBy('name');
    if ('ids' in filter) {
      if (filter.ids.length === 0) return [];
      query = query.where('id', 'in', filter.ids);
    } else if ('district' in filter) {
      query = query.where('district', '=', filter.district);
      if (filter.street) query = query.where('street', '=', filter.street);
    }
    const rows = await query.execute();
    return rows.map((r) => ({ ...r, device_count: Number(r.device_count ?? 0) }));
  }

  async findById(id: string): Promise<CommunityRow | undefined> {
    return this.db.selectFrom('communities').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async buildingsWithUnits(communityId: string): Promise<{ buildings: BuildingRow[]; units: UnitRow[] }> {
    const buildings = await this.db.selectFrom('buildings').selectAll().where('community_id', '=', communityId).orderBy('name').execute();
    const units = await this.db.selectFrom('units').selectAll().where('community_id', '=', communityId).orderBy('number').execute();
    return { buildings, units };
  }

  async findUnit(unitId: string): Promise<UnitRow | undefined> {
    return this.db.selectFrom('units').selectAll().where('id', '=', unitId).executeTakeFirst();
  }

  /**
   * Links a user to a unit as owner or tenant, verified by the staff member who links (again:
   * updates the relation). An owner of a unit without a representative becomes it.
   */
  async addOccupant(unitId: string, userId: string, relation: 'owner' | 'tenant', by: string | null): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const decided = { relation, status: 'verified' as const, decided_by: by, decided_at: new Date() };
      await tx
        .insertInto('unit_occupants')
        .values({ unit_id: unitId, user_id: userId, created_by: by, ...decided })
        .onConflict((oc) => oc.columns(['unit_id', 'user_id']).doUpdateSet({ ...decided, representative: sql<boolean>`unit_occupants.representative AND ${relation} = 'owner'` }))
        .execute();
      if (relation !== 'owner') return;
      await tx
        .updateTable('unit_occupants')
        .set({ representative: true })
        .where('unit_id', '=', unitId)
        .where('user_id', '=', userId)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('unit_occupants as r').select('r.user_id').where('r.unit_id', '=', unitId).where('r.representative', '=', true))))
        .execute();
    });
  }

  async removeOccupant(unitId: string, userId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('unit_occupants').where('unit_id', '=', unitId).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async occupants(unitId: string) {
    return this.db
      .selectFrom('unit_occupants as o')
      .innerJoin('users as u', 'u.id', 'o.user_id')
      .select(['o.user_id', 'o.relation', 'o.created_at', 'o.status', 'o.representative', 'o.document_name', 'u.username', 'u.display_name'])
      .where('o.unit_id', '=', unitId)
      .orderBy('u.username')
      .execute();
  }

  /** The units a user holds, with their building and community. */
  async unitsOf(userId: string) {
    return this.db
      .selectFrom('unit_occupants as o')
      .innerJoin('units as un', 'un.id', 'o.unit_id')
      .innerJoin('buildings as b', 'b.id', 'un.building_id')
      .select(['un.id', 'un.community_id', 'un.number', 'un.floor_area', 'b.id as building_id', 'b.name as building_name', 'o.relation', 'o.status', 'o.representative'])
      .where('o.user_id', '=', userId)
      .orderBy('b.name')
      .orderBy('un.number')
      .execute();
  }

  async idsIn(filter: CommunityFilter): Promise<string[]> {
    return (await this.find(filter)).map((c) => c.id);
  }
}
