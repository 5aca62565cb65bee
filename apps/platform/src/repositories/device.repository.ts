import { Injectable } from '@nestjs/common';
import type { Insertable, Selectable } from 'kysely';
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

  async findById(id: string): Promise<DeviceRow | undefined> {
    return this.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
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
