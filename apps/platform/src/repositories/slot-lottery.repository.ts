import { Injectable } from '@nestjs/common';
import type { Insertable, Selectable } from 'kysely';
import { DatabaseRepository } from './database.repository';
import type { SlotLotteryTable } from './parking.schema';

export type SlotLotteryRow = Selectable<SlotLotteryTable>;

/** Drawn lotteries for added parking slots (migration 0019). Rows are never updated or deleted. */
@Injectable()
export class SlotLotteryRepository {
  constructor(private readonly database: DatabaseRepository) {}

  insert(row: Insertable<SlotLotteryTable>): Promise<SlotLotteryRow> {
    return this.database.db.insertInto('slot_lotteries').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** A community's lotteries, newest first. */
  ofCommunity(communityId: string): Promise<SlotLotteryRow[]> {
    return this.database.db.selectFrom('slot_lotteries').selectAll().where('community_id', '=', communityId).orderBy('drawn_at', 'desc').orderBy('id').execute();
  }
}
