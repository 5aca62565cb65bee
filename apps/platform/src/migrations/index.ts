import type { Migration } from 'kysely';
import * as initial from './0001-initial';

/** Versioned migrations, applied in name order at start-up. Never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
};
