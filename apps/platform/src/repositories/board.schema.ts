import type { ColumnType, Generated } from 'kysely';

/** Row types of migration 0007-disclosure-board (public disclosure board, 公示栏). */
export interface BoardTables {
  board_items: {
    id: Generated<string>;
    community_id: string;
    section: string;
    version: number;
    content: ColumnType<unknown, string, string>;
    published_by: string | null;
    published_at: Date;
  };
}
