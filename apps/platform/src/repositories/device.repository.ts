import { Injectable } from '@nestjs/common';
import type { Insertable, Selectable } from 'kysely';
import type { AuditEntry } from './audit.repository';
import { DatabaseRepository } from './database.repository';
import type { DeviceTable } from './database.schema';

export type DeviceRow = Selectable<DeviceTable>;

@Injectable()
export class DeviceRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  async insert(device: Insertable<DeviceTable>): Promise<DeviceRow> {
    return this.db.insertInto('devices').values(device).returningAll().executeTakeFirstOrThrow();
  }

  /**
   * Inserts devices and the audit entry that records them in one transaction: all of them or
   * none (a unique violation or any other error rolls the whole batch back).
   */
  async insertBatch(devices: Insertable<DeviceTable>[], audit: AuditEntry): Promise<DeviceRow[]> {
    if (devices.length === 0) return [];
    return this.db.transaction().execute(async (tx) => {
      const rows = await tx.insertInto('devices').values(devices).returningAll().execute();
      await tx
        .insertInto('audit_log')
        .values({ actor_id: audit.actorId, action: audit.action, subject_type: audit.subjectType, subject_id: audit.subjectId, detail: JSON.stringify(audit.detail ?? {}) })
        .execute();
      return rows;
    });
  }

  /** Which of `ids` are registered already. */
  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const rows = await this.db.selectFrom('devices').select('id').where('id', 'in', chunk).execute();
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  async findById(id: string): Promise<DeviceRow | undefined> {
    return this.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByIds(ids: readonly string[]): Promise<DeviceRow[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('devices').selectAll().where('id', 'in', ids).execute();
  }

  async findByCommunities(communityIds: string[]): Promise<DeviceRow[]> {
    if (communityIds.length === 0) return [];
    return this.db.selectFrom('devices').selectAll().where('community_id', 'in', communityIds).orderBy('kind').orderBy('name').execute();
  }

  async updateSecret(id: string, secretHash: string, at: Date | null): Promise<DeviceRow | undefined> {
    return this.db
      .updateTable('devices')
      .set({ secret_hash: secretHash, secret_rotated_at: at })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  /** Replaces a stored hash by another of the same secret, unless the secret changed meanwhile. */
  async rehashSecret(id: string, previousHash: string, secretHash: string): Promise<void> {
    await this.db.updateTable('devices').set({ secret_hash: secretHash }).where('id', '=', id).where('secret_hash', '=', previousHash).execute();
  }

  /** Every device's id and whether it is disabled, for comparing with an external broker. */
  async listStates(ids?: readonly string[]): Promise<Array<{ id: string; disabled: boolean }>> {
    let query = this.db.selectFrom('devices').select(['id', 'disabled']);
    if (ids) {
      if (ids.length === 0) return [];
      query = query.where('id', 'in', [...ids]);
    }
    return query.execute();
  }

  /** Removes a device that was just inserted, when provisioning could not be completed. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('devices').where('id', '=', id).execute();
  }

  async setDisabled(id: string, disabled: boolean): Promise<DeviceRow | undefined> {
    return this.db.updateTable('devices').set({ disabled }).where('id', '=', id).returningAll().executeTakeFirst();
  }
}
