import { Injectable } from '@nestjs/common';
import type { OccupantStatus } from '@app/contracts';
import { DatabaseRepository } from './database.repository';

export interface OccupantDocument {
  sha256: string;
  name: string;
  contentType: string;
}

/** A unit of a community as voting counts it: its area and its representative (a verified owner), if any. */
export interface ElectorateRow {
  unit_id: string;
  floor_area: string;
  representative_id: string | null;
}

/**
 * Owners' and tenants' claims to units and their verification (unit_occupants, migration 0010),
 * and the bulk creation of an estate's units.
 */
@Injectable()
export class UnitRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  /**
   * A claim with its document: new, or replacing a pending or refused one of the same user.
   * Returns false when the user already holds the unit verified (nothing changes).
   */
  async claim(unitId: string, userId: string, relation: 'owner' | 'tenant', document: OccupantDocument): Promise<boolean> {
    const row = await this.db
      .insertInto('unit_occupants')
      .values({ unit_id: unitId, user_id: userId, relation, created_by: userId, status: 'pending', document_sha256: document.sha256, document_name: document.name, document_type: document.contentType })
      .onConflict((oc) =>
        oc
          .columns(['unit_id', 'user_id'])
          .doUpdateSet({ relation, status: 'pending', document_sha256: document.sha256, document_name: document.name, document_type: document.contentType, decided_by: null, decided_at: null, decision_note: null })
          .where('unit_occupants.status', '<>', 'verified'),
      )
      .returning('unit_id')
      .executeTakeFirst();
    return !!row;
  }

  findOccupant(unitId: string, userId: string) {
    return this.db.selectFrom('unit_occupants').selectAll().where('unit_id', '=', unitId).where('user_id', '=', userId).executeTakeFirst();
  }

  /**
   * Verifies or refuses a pending claim. A verified owner of a unit without a representative
   * becomes it, so every owned unit can vote. False when the claim is no longer pending.
   */
  async decide(unitId: string, userId: string, status: Exclude<OccupantStatus, 'pending'>, by: string, at: Date, note: string | null): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('unit_occupants')
        .set({ status, decided_by: by, decided_at: at, decision_note: note })
        .where('unit_id', '=', unitId)
        .where('user_id', '=', userId)
        .where('status', '=', 'pending')
        .returning(['relation'])
        .executeTakeFirst();
      if (!row) return false;
      if (status === 'verified' && row.relation === 'owner') {
        await tx
          .updateTable('unit_occupants')
          .set({ representative: true })
          .where('unit_id', '=', unitId)
          .where('user_id', '=', userId)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('unit_occupants as r').select('r.user_id').where('r.unit_id', '=', unitId).where('r.representative', '=', true))))
          .execute();
      }
      return true;
    });
  }

  /** Makes a verified owner the unit's one representative. False when the user is not a verified owner of it. */
  async setRepresentative(unitId: string, userId: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const target = await tx.selectFrom('unit_occupants').select('user_id').where('unit_id', '=', unitId).where('user_id', '=', userId).where('status', '=', 'verified').where('relation', '=', 'owner').executeTakeFirst();
      if (!target) return false;
      await tx.updateTable('unit_occupants').set({ representative: false }).where('unit_id', '=', unitId).where('representative', '=', true).execute();
      await tx.updateTable('unit_occupants').set({ representative: true }).where('unit_id', '=', unitId).where('user_id', '=', userId).execute();
      return true;
    });
  }

  /** Claims of a community's units, oldest first, optionally of one status. */
  claims(communityId: string, status?: OccupantStatus) {
    let query = this.db
      .selectFrom('unit_occupants as o')
      .innerJoin('units as un', 'un.id', 'o.unit_id')
      .innerJoin('buildings as b', 'b.id', 'un.building_id')
      .innerJoin('users as u', 'u.id', 'o.user_id')
      .select(['o.unit_id', 'b.name as building', 'un.number', 'un.floor_area', 'o.user_id', 'u.username', 'o.relation', 'o.status', 'o.representative', 'o.document_name', 'o.created_at', 'o.decided_at', 'o.decision_note'])
      .where('un.community_id', '=', communityId);
    if (status) query = query.where('o.status', '=', status);
    return query.orderBy('o.created_at').orderBy('o.unit_id').execute();
  }

  /** Every unit of a community with its representative (a verified owner), for tallying a vote. */
  electorate(communityId: string): Promise<ElectorateRow[]> {
    return this.db
      .selectFrom('units as un')
      .leftJoin('unit_occupants as o', (join) => join.onRef('o.unit_id', '=', 'un.id').on('o.representative', '=', true))
      .select(['un.id as unit_id', 'un.floor_area', 'o.user_id as representative_id'])
      .where('un.community_id', '=', communityId)
      .orderBy('un.id')
      .execute();
  }

  /** The units a user holds as a verified owner in the given communities, with their buildings. */
  async verifiedOwnerHoldings(userId: string, communityIds: readonly string[]): Promise<Array<{ unitId: string; buildingId: string; communityId: string }>> {
    if (communityIds.length === 0) return [];
    return this.db
      .selectFrom('unit_occupants as o')
      .innerJoin('units as un', 'un.id', 'o.unit_id')
      .select(['o.unit_id as unitId', 'un.building_id as buildingId', 'un.community_id as communityId'])
      .where('o.user_id', '=', userId)
      .where('o.relation', '=', 'owner')
      .where('o.status', '=', 'verified')
      .where('un.community_id', 'in', communityIds)
      .execute();
  }

  /** The verified owners of each of the units (units without one are absent): who hears of their fund accounts live. */
  async verifiedOwnersOf(unitIds: readonly string[]): Promise<Map<string, string[]>> {
    if (unitIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('unit_occupants')
      .select(['unit_id', 'user_id'])
      .where('unit_id', 'in', unitIds)
      .where('relation', '=', 'owner')
      .where('status', '=', 'verified')
      .orderBy('user_id')
      .execute();
    const owners = new Map<string, string[]>();
    for (const r of rows) owners.set(r.unit_id, [...(owners.get(r.unit_id) ?? []), r.user_id]);
    return owners;
  }

  /** The units of a community a user represents (a verified owner named as its representative). */
  async representedBy(communityId: string, userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('unit_occupants as o')
      .innerJoin('units as un', 'un.id', 'o.unit_id')
      .select('o.unit_id')
      .where('un.community_id', '=', communityId)
      .where('o.user_id', '=', userId)
      .where('o.representative', '=', true)
      .execute();
    return rows.map((r) => r.unit_id);
  }

  existingUnits(communityId: string) {
    return this.db.selectFrom('units as un').innerJoin('buildings as b', 'b.id', 'un.building_id').select(['b.name as building', 'un.number']).where('un.community_id', '=', communityId).execute();
  }

  /**
   * Creates an estate's units in one transaction, with the buildings they name that do not exist
   * yet, and links each listed owner or tenant as verified (the importer vouches for the register;
   * the first owner of a unit represents it).
   */
  async importUnits(
    communityId: string,
    rows: ReadonlyArray<{ building: string; number: string; floorArea: string; occupant?: { userId: string; relation: 'owner' | 'tenant' } }>,
    by: string,
    at: Date,
  ): Promise<{ created: number; buildingsCreated: number; linked: number }> {
    return this.db.transaction().execute(async (tx) => {
      const names = [...new Set(rows.map((r) => r.building))];
      const existing = await tx.selectFrom('buildings').select(['id', 'name']).where('community_id', '=', communityId).execute();
      const buildingIds = new Map(existing.map((b) => [b.name, b.id]));
      const missing = names.filter((n) => !buildingIds.has(n));
      if (missing.length > 0) {
        const created = await tx.insertInto('buildings').values(missing.map((name) => ({ community_id: communityId, name, floors: null }))).returning(['id', 'name']).execute();
        for (const b of created) buildingIds.set(b.name, b.id);
      }
      let created = 0;
      let linked = 0;
      const representedUnits = new Set<string>();
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        const units = await tx
          .insertInto('units')
          .values(chunk.map((r) => ({ building_id: buildingIds.get(r.building)!, community_id: communityId, number: r.number, floor_area: r.floorArea })))
          .returning(['id', 'building_id', 'number'])
          .execute();
        created += units.length;
        const idOf = new Map(units.map((u) => [`${u.building_id}/${u.number}`, u.id]));
        const links = chunk.flatMap((r) => (r.occupant ? [{ unitId: idOf.get(`${buildingIds.get(r.building)}/${r.number}`)!, ...r.occupant }] : []));
        if (links.length === 0) continue;
        await tx
          .insertInto('unit_occupants')
          .values(
            links.map((l) => {
              const representative = l.relation === 'owner' && !representedUnits.has(l.unitId);
              if (representative) representedUnits.add(l.unitId);
              return { unit_id: l.unitId, user_id: l.userId, relation: l.relation, created_by: by, status: 'verified' as const, representative, decided_by: by, decided_at: at };
            }),
          )
          .execute();
        linked += links.length;
      }
      return { created, buildingsCreated: missing.length, linked };
    });
  }
}
