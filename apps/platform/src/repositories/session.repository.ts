import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Selectable } from 'kysely';
import { DatabaseRepository } from './database.repository';
import type { RefreshTokenTable } from './database.schema';

export type RefreshTokenRow = Selectable<RefreshTokenTable>;

/** Refresh tokens are 256 random bits; a fast hash is enough to keep a stolen table useless. */
const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Refresh tokens: opaque to the client, kept only as a hash. A family is one login; each use
 * rotates the token (the old one is marked rotated, a new one of the family is issued).
 */
@Injectable()
export class SessionRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  /** A new token of a family (a new family when none is given); returns the plain token, shown once. */
  async issue(userId: string, expiresAt: Date, familyId: string = randomUUID()): Promise<{ token: string; familyId: string }> {
    const token = randomBytes(32).toString('base64url');
    await this.db.insertInto('refresh_tokens').values({ user_id: userId, family_id: familyId, token_hash: digest(token), expires_at: expiresAt }).execute();
    return { token, familyId };
  }

  find(token: string): Promise<RefreshTokenRow | undefined> {
    return this.db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', digest(token)).executeTakeFirst();
  }

  /** Marks the token used; false when it was already rotated or revoked (a concurrent use won). */
  async markRotated(id: string, at: Date): Promise<boolean> {
    const result = await this.db.updateTable('refresh_tokens').set({ rotated_at: at }).where('id', '=', id).where('rotated_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async revokeFamily(familyId: string, at: Date): Promise<void> {
    await this.db.updateTable('refresh_tokens').set({ revoked_at: at }).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute();
  }

  async revokeUser(userId: string, at: Date): Promise<void> {
    await this.db.updateTable('refresh_tokens').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  }

  /** Drops tokens expired for a day or more (called now and then; old rows only serve reuse detection). */
  async deleteExpired(before: Date): Promise<void> {
    await this.db.deleteFrom('refresh_tokens').where('expires_at', '<', before).execute();
  }
}
