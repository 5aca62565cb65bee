import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import { DatabaseRepository, isUniqueViolation } from './database.repository';
import type { VoteTables } from './vote.schema';

export type VoteRow = Selectable<VoteTables['owner_votes']>;
export type BallotRow = Selectable<VoteTables['owner_vote_ballots']>;
export type ReviewRow = Selectable<VoteTables['owner_vote_reviews']>;

/** Why a ballot was not stored. */
export type CastRefusal = { refused: 'closed' } | { refused: 'voted'; unitId: string };

/** Owners' votes and their ballots (migration 0011). A closed vote's result is never changed. */
@Injectable()
export class VoteRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  insert(row: Insertable<VoteTables['owner_votes']>): Promise<VoteRow> {
    return this.db.insertInto('owner_votes').values(row).returningAll().executeTakeFirstOrThrow();
  }

  find(id: string): Promise<VoteRow | undefined> {
    return this.db.selectFrom('owner_votes').selectAll().where('id', '=', id).executeTakeFirst();
  }

  ofCommunity(communityId: string, status?: 'open' | 'closed'): Promise<VoteRow[]> {
    let query = this.db.selectFrom('owner_votes').selectAll().where('community_id', '=', communityId);
    if (status) query = query.where('status', '=', status);
    return query.orderBy('closes_at', 'desc').orderBy('id').execute();
  }

  insertReview(row: Insertable<VoteTables['owner_vote_reviews']>): Promise<ReviewRow> {
    return this.db.insertInto('owner_vote_reviews').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** The reviews of the votes, oldest first. */
  reviews(voteIds: string[]): Promise<ReviewRow[]> {
    if (voteIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('owner_vote_reviews').selectAll().where('vote_id', 'in', voteIds).orderBy('reviewed_at').orderBy('id').execute();
  }

  ballots(voteId: string): Promise<BallotRow[]> {
    return this.db.selectFrom('owner_vote_ballots').selectAll().where('vote_id', '=', voteId).execute();
  }

  async ballotCounts(voteIds: string[]): Promise<Map<string, number>> {
    if (voteIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('owner_vote_ballots').select(['vote_id', sql<number>`count(*)::int`.as('n')]).where('vote_id', 'in', voteIds).groupBy('vote_id').execute();
    return new Map(rows.map((r) => [r.vote_id, r.n]));
  }

  /**
   * Stores one ballot per unit, all or none, while the vote is open at `at` (the vote's row is
   * locked, so a close cannot slip between the check and the insert).
   */
  async cast(voteId: string, unitIds: string[], userId: string, option: number, at: Date): Promise<CastRefusal | undefined> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        const vote = await tx.selectFrom('owner_votes').select(['status', 'opens_at', 'closes_at']).where('id', '=', voteId).forUpdate().executeTakeFirst();
        if (!vote || vote.status !== 'open' || at < vote.opens_at || at >= vote.closes_at) return { refused: 'closed' as const };
        const taken = await tx.selectFrom('owner_vote_ballots').select('unit_id').where('vote_id', '=', voteId).where('unit_id', 'in', unitIds).executeTakeFirst();
        if (taken) return { refused: 'voted' as const, unitId: taken.unit_id };
        await tx.insertInto('owner_vote_ballots').values(unitIds.map((unitId) => ({ vote_id: voteId, unit_id: unitId, user_id: userId, option, cast_at: at }))).execute();
        return undefined;
      });
    } catch (error) {
      // Two ballots of the same unit at once: the primary key keeps the first.
      if (isUniqueViolation(error)) return { refused: 'voted', unitId: unitIds[0] };
      throw error;
    }
  }

  /**
   * Closes an open vote: its row locked against ballots (see cast), its ballots read and `decide`
   * turning them into the result stored with it. Undefined when it was closed already.
   */
  closeVote(voteId: string, at: Date, decide: (vote: VoteRow, ballots: BallotRow[]) => unknown): Promise<VoteRow | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const vote = await tx.selectFrom('owner_votes').selectAll().where('id', '=', voteId).forUpdate().executeTakeFirst();
      if (!vote || vote.status !== 'open') return undefined;
      const ballots = await tx.selectFrom('owner_vote_ballots').selectAll().where('vote_id', '=', voteId).execute();
      return tx
        .updateTable('owner_votes')
        .set({ status: 'closed', result: JSON.stringify(decide(vote, ballots)), closed_at: at })
        .where('id', '=', voteId)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }
}
