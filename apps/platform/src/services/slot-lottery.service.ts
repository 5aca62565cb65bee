import { BadRequestException, Injectable } from '@nestjs/common';
import type { DrawSlotLotteryRequest, SlotLottery } from '@app/contracts';
import { drawSlotLottery, lotteryMethod, type LotteryResult } from '../domain/slot-lottery';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { ParkingRepository } from '../repositories/parking.repository';
import { SlotLotteryRepository, type SlotLotteryRow } from '../repositories/slot-lottery.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { VoteService } from './vote.service';

/**
 * The lottery (摇号) for newly added parking slots (seed 004 三(四)2(2)): drawn once with the seed
 * announced beforehand by the pure domain/slot-lottery.ts, stored with its inputs and published
 * on the board so anyone can re-run it.
 */
@Injectable()
export class SlotLotteryService {
  constructor(
    private readonly lotteries: SlotLotteryRepository,
    private readonly parking: ParkingRepository,
    private readonly votes: VoteService,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
  ) {}

  async draw(user: AuthUser, dto: DrawSlotLotteryRequest): Promise<SlotLottery> {
    await this.access.requireInScope(user, dto.communityId);
    const codes = new Set((await this.parking.slotsOf({ communityId: dto.communityId })).map((s) => s.code));
    const unknown = dto.slots.filter((code) => !codes.has(code));
    if (unknown.length) throw new BadRequestException({ message: `not slots of this community: ${unknown.join(', ')}`, errors: [{ path: ['slots'], message: 'unknown slot' }] });
    if (dto.decisionVoteId) await this.votes.requireDecision(dto.decisionVoteId, dto.communityId);
    const result = drawSlotLottery(dto.seed, dto.entrants, dto.slots);
    const row = await this.lotteries.insert({
      community_id: dto.communityId,
      title: dto.title,
      seed: dto.seed,
      entrants: JSON.stringify(dto.entrants),
      slots: JSON.stringify(dto.slots),
      result: JSON.stringify(result),
      decision_vote_id: dto.decisionVoteId ?? null,
      drawn_by: user.id,
      drawn_at: new Date(this.clock.now()),
    });
    await this.audit.record({ actorId: user.id, action: 'parking.lottery.drawn', subjectType: 'community', subjectId: dto.communityId, detail: { lotteryId: row.id, seed: dto.seed, entrants: dto.entrants.length, slots: dto.slots.length } });
    return mapLottery(row);
  }

  /** Every lottery of a community, newest first: the public board's section. */
  async published(communityId: string): Promise<SlotLottery[]> {
    return (await this.lotteries.ofCommunity(communityId)).map(mapLottery);
  }
}

function mapLottery(row: SlotLotteryRow): SlotLottery {
  return {
    id: row.id,
    communityId: row.community_id,
    title: row.title,
    seed: row.seed,
    method: lotteryMethod,
    entrants: row.entrants,
    slots: row.slots,
    decisionVoteId: row.decision_vote_id,
    result: row.result as LotteryResult,
    drawnAt: row.drawn_at.toISOString(),
    drawnBy: row.drawn_by,
  };
}
