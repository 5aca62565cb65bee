import { BadRequestException, ConflictException, ForbiddenException, Injectable, Logger } from '@nestjs/common';
import type { CastBallotRequest, OpenVoteRequest, ReviewVoteRequest, Vote, VoteResult, VoteReview, VoteRule } from '@app/contracts';
import { centiToArea, decideVote, decisionRules, decisionVoteRefusal, type ElectorateUnit } from '../domain/owner-vote';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { jobIds, voteCloseJob } from '../repositories/job-catalogue';
import { JobRepository } from '../repositories/job.repository';
import { UnitRepository } from '../repositories/unit.repository';
import { VoteRepository, type BallotRow, type ReviewRow, type VoteRow } from '../repositories/vote.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

/**
 * Owners' joint decisions (业主共同决定): the owners' committee, or the property company with the
 * committee's consent, opens a vote with a decision rule from domain/owner-vote.ts; each unit
 * votes once, by its representative (a verified owner), within the period; when the period ends
 * the durable 'owners.vote.close' job tallies by area and headcount, decides with the rule and
 * stores the result, which the community's public board (公示栏) then shows.
 */
@Injectable()
export class VoteService {
  private readonly logger = new Logger(VoteService.name);

  constructor(
    private readonly votes: VoteRepository,
    private readonly units: UnitRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly jobs: JobRepository,
  ) {
    jobs.handle(voteCloseJob, (data) => this.onClose(data.voteId));
  }

  async open(user: AuthUser, dto: OpenVoteRequest): Promise<Vote> {
    await this.access.requireInScope(user, dto.communityId);
    if (user.role === 'property_staff' && !dto.committeeConsent) {
      throw new BadRequestException({ message: "the property company opens a vote with the owners' committee's consent", errors: [{ path: ['committeeConsent'], message: 'required' }] });
    }
    const now = this.clock.now();
    const opensAt = dto.opensAt ? Date.parse(dto.opensAt) : now;
    const closesAt = Date.parse(dto.closesAt);
    if (closesAt <= Math.max(opensAt, now)) throw new BadRequestException({ message: 'the vote must close after it opens and in the future', errors: [{ path: ['closesAt'], message: 'too early' }] });
    const row = await this.votes.insert({
      community_id: dto.communityId,
      question: dto.question,
      options: JSON.stringify(dto.options),
      rule: dto.rule,
      opens_at: new Date(opensAt),
      closes_at: new Date(closesAt),
      opened_by: user.id,
      opener_role: user.role,
      committee_consent: dto.committeeConsent ?? null,
    });
    await this.jobs.schedule(voteCloseJob, { voteId: row.id }, { jobId: jobIds.voteClose(row.id), dueAt: closesAt });
    await this.audit.record({ actorId: user.id, action: 'vote.opened', subjectType: 'owner_vote', subjectId: row.id, detail: { communityId: dto.communityId, rule: dto.rule, role: user.role, closesAt: new Date(closesAt).toISOString() } });
    return this.view(user, row);
  }

  async list(user: AuthUser, communityId: string): Promise<Vote[]> {
    await this.access.requireInScope(user, communityId);
    const rows = await this.votes.ofCommunity(communityId);
    const [counts, mine, reviews] = await Promise.all([this.votes.ballotCounts(rows.map((r) => r.id)), this.units.representedBy(communityId, user.id), this.votes.reviews(rows.map((r) => r.id))]);
    const voted = await Promise.all(rows.map(async (r) => (mine.length ? new Set((await this.votes.ballots(r.id)).map((b) => b.unit_id)) : new Set<string>())));
    return rows.map((r, i) => mapVote(r, counts.get(r.id) ?? 0, mine.map((unitId) => ({ unitId, voted: voted[i].has(unitId) })), reviewsOf(reviews, r.id)));
  }

  async get(user: AuthUser, id: string): Promise<Vote> {
    return this.view(user, await this.voteInScope(user, id));
  }

  /**
   * A verified owner votes for the units they represent in the vote's community (all of them, or
   * the one named). A unit votes once; nobody votes outside the period.
   */
  async cast(user: AuthUser, id: string, dto: CastBallotRequest) {
    const vote = await this.voteInScope(user, id);
    if (dto.option >= vote.options.length) throw new BadRequestException({ message: `option ${dto.option} does not exist`, errors: [{ path: ['option'], message: `0–${vote.options.length - 1}` }] });
    const represented = await this.units.representedBy(vote.community_id, user.id);
    if (represented.length === 0) throw new ForbiddenException("only verified owners of this community's units vote (a co-owned unit by its representative)");
    if (dto.unitId && !represented.includes(dto.unitId)) throw new ForbiddenException(`you do not represent unit ${dto.unitId}`);
    const unitIds = dto.unitId ? [dto.unitId] : represented;
    const at = new Date(this.clock.now());
    const refusal = await this.votes.cast(vote.id, unitIds, user.id, dto.option, at);
    if (refusal?.refused === 'closed') throw new ConflictException(at < vote.opens_at ? 'the vote has not opened yet' : 'the vote is closed');
    if (refusal?.refused === 'voted') throw new ConflictException(`unit ${refusal.unitId} has voted already`);
    await this.audit.record({ actorId: user.id, action: 'vote.cast', subjectType: 'owner_vote', subjectId: vote.id, detail: { unitIds } });
    return { voteId: vote.id, option: dto.option, unitIds, castAt: at.toISOString() };
  }

  /**
   * The street reviews a decision (seed 002 五 职责分工: the street office 对业主大会、业主委员会做出的决定进行审核):
   * a street officer whose street holds the community records it upheld or ordered corrected.
   * Only a closed vote has a decision to review; a later review supersedes, all are kept.
   */
  async review(user: AuthUser, id: string, dto: ReviewVoteRequest): Promise<VoteReview> {
    const vote = await this.voteInScope(user, id);
    if (vote.status !== 'closed') throw new ConflictException('the vote has not closed: there is no decision to review yet');
    const row = await this.votes.insertReview({ vote_id: vote.id, outcome: dto.outcome, reason: dto.reason, reviewed_by: user.id, reviewed_at: new Date(this.clock.now()) });
    await this.audit.record({ actorId: user.id, action: 'vote.reviewed', subjectType: 'owner_vote', subjectId: vote.id, detail: { outcome: dto.outcome, reason: dto.reason, role: user.role } });
    return mapReview(row);
  }

  /** Refuses (400, naming `decisionVoteId`) a vote that cannot be cited as the decision behind something of the community (a tariff, a lottery). */
  async requireDecision(voteId: string, communityId: string): Promise<void> {
    const [vote, reviews] = await Promise.all([this.votes.find(voteId), this.votes.reviews([voteId])]);
    const lastReview = reviews.at(-1)?.outcome ?? null;
    const refusal = decisionVoteRefusal(vote && { communityId: vote.community_id, status: vote.status, adopted: (vote.result as VoteResult | null)?.adopted ?? null, lastReview }, communityId);
    if (refusal) throw new BadRequestException({ message: `decisionVoteId: ${refusal}`, errors: [{ path: ['decisionVoteId'], message: refusal }] });
  }

  /** The close job: decides with the clock (a job run early waits again), then tallies once. */
  async onClose(voteId: string): Promise<void> {
    const vote = await this.votes.find(voteId);
    if (!vote || vote.status === 'closed') return;
    const now = this.clock.now();
    if (now < vote.closes_at.getTime()) {
      await this.jobs.schedule(voteCloseJob, { voteId }, { jobId: jobIds.voteClose(voteId, `-w${now}`), dueAt: vote.closes_at.getTime() });
      return;
    }
    const electorate = await this.units.electorate(vote.community_id);
    const closed = await this.votes.closeVote(voteId, new Date(now), (locked, ballots) => tally(locked, electorate, ballots));
    if (!closed) return;
    const result = closed.result as VoteResult;
    await this.audit.record({ actorId: null, action: 'vote.closed', subjectType: 'owner_vote', subjectId: voteId, detail: { adopted: result.adopted, participationMet: result.participationMet } });
    this.logger.log(`vote ${voteId} closed: ${result.adoptedOption ?? 'nothing adopted'}`);
  }

  /** Closed votes of a community with their results, newest first: the public board's section. */
  async published(communityId: string) {
    const rows = await this.votes.ofCommunity(communityId, 'closed');
    const reviews = await this.votes.reviews(rows.map((r) => r.id));
    return rows.map((r) => {
      const v = mapVote(r, 0, [], reviewsOf(reviews, r.id));
      return { id: v.id, question: v.question, options: v.options, rule: v.rule, ruleSource: v.ruleSource, opensAt: v.opensAt, closesAt: v.closesAt, closedAt: v.closedAt, reviews: v.reviews, result: v.result! };
    });
  }

  private async voteInScope(user: AuthUser, id: string): Promise<VoteRow> {
    const vote = await this.votes.find(id);
    await this.access.requireInScope(user, vote?.community_id, `vote ${id}`);
    return vote!;
  }

  private async view(user: AuthUser, row: VoteRow): Promise<Vote> {
    const [ballots, mine, reviews] = await Promise.all([this.votes.ballots(row.id), this.units.representedBy(row.community_id, user.id), this.votes.reviews([row.id])]);
    const voted = new Set(ballots.map((b) => b.unit_id));
    return mapVote(row, ballots.length, mine.map((unitId) => ({ unitId, voted: voted.has(unitId) })), reviews.map(mapReview));
  }
}

/**
 * The result of a vote. A unit that voted counts as the person who voted for it; one that did
 * not, as its representative, or (no verified owner yet) as a person of its own: the platform
 * cannot tell the developer's unsold units apart, so the headcount errs on the strict side.
 */
export function tally(vote: VoteRow, electorate: ReadonlyArray<{ unit_id: string; floor_area: string; representative_id: string | null }>, ballots: BallotRow[]): VoteResult {
  const voter = new Map(ballots.map((b) => [b.unit_id, b.user_id]));
  const units: ElectorateUnit[] = electorate.map((u) => ({ unitId: u.unit_id, floorArea: u.floor_area, holder: voter.get(u.unit_id) ?? u.representative_id ?? `unit:${u.unit_id}` }));
  const inElectorate = new Set(units.map((u) => u.unitId));
  const rule = vote.rule as VoteRule;
  const outcome = decideVote(
    rule,
    vote.options.length,
    units,
    ballots.filter((b) => inElectorate.has(b.unit_id)).map((b) => ({ unitId: b.unit_id, option: b.option })),
  );
  return {
    rule,
    ruleSource: decisionRules[rule].source,
    total: { area: centiToArea(outcome.total.areaCenti), headcount: outcome.total.headcount },
    participating: { area: centiToArea(outcome.participating.areaCenti), headcount: outcome.participating.headcount },
    perOption: outcome.perOption.map((t, i) => ({ option: vote.options[i], area: centiToArea(t.areaCenti), headcount: t.headcount })),
    participationMet: outcome.participationMet,
    adopted: outcome.adopted,
    adoptedOption: outcome.adopted === null ? null : vote.options[outcome.adopted],
  };
}

function mapReview(r: ReviewRow): VoteReview {
  return { id: r.id, voteId: r.vote_id, outcome: r.outcome, reason: r.reason, reviewedAt: r.reviewed_at.toISOString(), reviewedBy: r.reviewed_by };
}

function reviewsOf(rows: ReviewRow[], voteId: string): VoteReview[] {
  return rows.filter((r) => r.vote_id === voteId).map(mapReview);
}

function mapVote(row: VoteRow, ballots: number, myUnits: Vote['myUnits'], reviews: VoteReview[]): Vote {
  const rule = row.rule as VoteRule;
  return {
    id: row.id,
    communityId: row.community_id,
    question: row.question,
    options: row.options,
    rule,
    ruleSource: decisionRules[rule].source,
    opensAt: row.opens_at.toISOString(),
    closesAt: row.closes_at.toISOString(),
    status: row.status,
    openerRole: row.opener_role,
    committeeConsent: row.committee_consent,
    ballots,
    closedAt: row.closed_at ? row.closed_at.toISOString() : null,
    result: (row.result as VoteResult | null) ?? null,
    reviews,
    myUnits,
  };
}
