import { Injectable } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import type { BoardTables } from './board.schema';
import { DatabaseRepository, isUniqueViolation } from './database.repository';

export type BoardItemRow = Selectable<BoardTables['board_items']>;

/** Published versions of the disclosure board's sections. Rows are never updated or deleted. */
@Injectable()
export class BoardRepository {
  constructor(private readonly database: DatabaseRepository) {}

  /**
   * Inserts the next version of a section (max + 1). Two publications racing for the same number
   * meet the unique constraint; the loser retries with the next number.
   */
  async publish(values: { community_id: string; section: string; content: unknown; published_by: string; published_at: Date }): Promise<BoardItemRow> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.database.db
          .insertInto('board_items')
          .values({
            community_id: values.community_id,
            section: values.section,
            content: JSON.stringify(values.content),
            published_by: values.published_by,
            published_at: values.published_at,
            version: sql<number>`(select coalesce(max(version), 0) + 1 from board_items where community_id = ${values.community_id} and section = ${values.section})`,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 4) throw error;
      }
    }
  }

  /** The latest version of every section of a community. */
  latest(communityId: string): Promise<BoardItemRow[]> {
    return this.database.db
      .selectFrom('board_items')
      .selectAll()
      .distinctOn('section')
      .where('community_id', '=', communityId)
      .orderBy('section')
      .orderBy('version', 'desc')
      .execute();
  }

  /** The latest version of the given sections of each of the communities. */
  latestIn(communityIds: string[], sections: readonly string[]): Promise<BoardItemRow[]> {
    if (communityIds.length === 0) return Promise.resolve([]);
    return this.database.db
      .selectFrom('board_items')
      .selectAll()
      .distinctOn(['community_id', 'section'])
      .where('community_id', 'in', communityIds)
      .where('section', 'in', sections)
      .orderBy('community_id')
      .orderBy('section')
      .orderBy('version', 'desc')
      .execute();
  }

  /** Every version of one section, newest first. */
  history(communityId: string, section: string): Promise<BoardItemRow[]> {
    return this.database.db.selectFrom('board_items').selectAll().where('community_id', '=', communityId).where('section', '=', section).orderBy('version', 'desc').execute();
  }
}
