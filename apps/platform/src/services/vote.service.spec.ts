/**
 * Who votes, when, and how a closed vote is tallied (issue 13 §2), with the repositories mocked
 * (tests/support/new-test-service.ts). The thresholds themselves are domain/owner-vote.spec.ts.
 */
import { BadRequestException, ConflictException, ForbiddenException } from '@nestjs/common';
import { newTestService } from '../../../../tests/support/new-test-service';
import { ClockRepository } from '../repositories/clock.repository';
import { JobRepository } from '../repositories/job.repository';
import { UnitRepository } from '../repositories/unit.repository';
import { VoteRepository, type VoteRow } from '../repositories/vote.repository';
import type { AuthUser } from './auth-user';
import { tally, VoteService } from './vote.service';

const NOW = Date.parse('2026-06-01T02:00:00Z');
const DAY = 86_400_000;
const owner: AuthUser = { id: 'u-owner', username: 'owner', role: 'owner', scope: { level: 'community', communityIds: ['c1'] } };
const staff: AuthUser = { id: 'u-staff', username: 'staff', role: 'property_staff', scope: { level: 'community', communityIds: ['c1'] } };

const vote: VoteRow = {
  id: 'v1',
  community_id: 'c1',
  question: '是否增建地面车位?',
  options: ['同意', '反对', '弃权'],
  rule: 'seed_004_added_slots',
  opens_at: new Date(NOW - DAY),
  closes_at: new Date(NOW + DAY),
  status: 'open',
  opened_by: 'u-committee',
  opener_role: 'owners_committee',
  committee_consent: null,
  created_at: new Date(NOW - DAY),
  closed_at: null,
  result: null,
};

function setup(now = NOW) {
  const t = newTestService(VoteService);
  t.mock(ClockRepository).now.mockReturnValue(now);
  t.mock(VoteRepository).find.mockResolvedValue(vote);
  t.mock(VoteRepository).ballots.mockResolvedValue([]);
  t.mock(VoteRepository).reviews.mockResolvedValue([]);
  return t;
}

describe('VoteService', () => {
  it("refuses a property company's vote without the owners' committee's consent", async () => {
    const { sut } = setup();
    await expect(sut.open(staff, { communityId: 'c1', question: 'q', options: ['同意', '反对'], rule: 'civil_code_278_majority', closesAt: new Date(NOW + DAY).toISOString() })).rejects.toThrow(BadRequestException);
  });

  it('schedules the durable close at the end of the period', async () => {
    const { sut, mock } = setup();
    mock(VoteRepository).insert.mockResolvedValue(vote);
    mock(UnitRepository).representedBy.mockResolvedValue([]);
    await sut.open({ ...staff }, { communityId: 'c1', question: 'q', options: ['同意', '反对'], rule: 'civil_code_278_majority', closesAt: vote.closes_at.toISOString(), committeeConsent: '业委会决议 2026-3号' });
    expect(mock(JobRepository).schedule).toHaveBeenCalledWith(expect.objectContaining({ name: 'owners.vote.close' }), { voteId: 'v1' }, { jobId: 'vote-close-v1', dueAt: vote.closes_at.getTime() });
  });

  it('lets only the representative of a unit vote: a user who represents no unit of the community is refused', async () => {
    const { sut, mock } = setup();
    mock(UnitRepository).representedBy.mockResolvedValue([]);
    await expect(sut.cast(owner, 'v1', { option: 0 })).rejects.toThrow(ForbiddenException);
    mock(UnitRepository).representedBy.mockResolvedValue(['unit-a']);
    await expect(sut.cast(owner, 'v1', { option: 0, unitId: 'unit-b' })).rejects.toThrow(ForbiddenException);
  });

  it('votes for every unit the owner represents, and refuses a second ballot of a unit and a ballot after the period', async () => {
    const { sut, mock } = setup();
    mock(UnitRepository).representedBy.mockResolvedValue(['unit-a', 'unit-b']);
    mock(VoteRepository).cast.mockResolvedValueOnce(undefined);
    await expect(sut.cast(owner, 'v1', { option: 1 })).resolves.toMatchObject({ unitIds: ['unit-a', 'unit-b'], option: 1 });
    expect(mock(VoteRepository).cast).toHaveBeenCalledWith('v1', ['unit-a', 'unit-b'], owner.id, 1, new Date(NOW));
    mock(VoteRepository).cast.mockResolvedValueOnce({ refused: 'voted', unitId: 'unit-a' });
    await expect(sut.cast(owner, 'v1', { option: 0 })).rejects.toThrow('unit unit-a has voted already');
    mock(VoteRepository).cast.mockResolvedValueOnce({ refused: 'closed' });
    await expect(sut.cast(owner, 'v1', { option: 0 })).rejects.toThrow(ConflictException);
    await expect(sut.cast(owner, 'v1', { option: 3 })).rejects.toThrow('does not exist');
  });

  it('seed 002 五 职责分工: the street reviews a closed decision, not an open vote', async () => {
    const street: AuthUser = { id: 'u-street', username: 'street', role: 'street_officer', scope: { level: 'street', district: 'd', street: 's' } };
    const { sut, mock } = setup();
    await expect(sut.review(street, 'v1', { outcome: 'upheld', reason: '程序合规' })).rejects.toThrow(ConflictException);
    mock(VoteRepository).find.mockResolvedValue({ ...vote, status: 'closed', closed_at: new Date(NOW) });
    mock(VoteRepository).insertReview.mockImplementation(async (row) => ({ id: 'r1', ...row, reviewed_by: row.reviewed_by ?? null }) as never);
    await expect(sut.review(street, 'v1', { outcome: 'ordered_corrected', reason: '表决票未送达全体业主' })).resolves.toMatchObject({ voteId: 'v1', outcome: 'ordered_corrected', reviewedBy: 'u-street', reviewedAt: new Date(NOW).toISOString() });
  });

  it('a close job that runs before the period ends waits again; after it, the vote is tallied once', async () => {
    const early = setup(NOW);
    await early.sut.onClose('v1');
    expect(early.mock(VoteRepository).closeVote).not.toHaveBeenCalled();
    expect(early.mock(JobRepository).schedule).toHaveBeenCalledWith(expect.anything(), { voteId: 'v1' }, { jobId: `vote-close-v1-w${NOW}`, dueAt: vote.closes_at.getTime() });

    const late = setup(vote.closes_at.getTime());
    late.mock(UnitRepository).electorate.mockResolvedValue([]);
    late.mock(VoteRepository).closeVote.mockResolvedValue({ ...vote, status: 'closed', result: { adopted: null, adoptedOption: null, participationMet: false } });
    await late.sut.onClose('v1');
    expect(late.mock(VoteRepository).closeVote).toHaveBeenCalledWith('v1', vote.closes_at, expect.any(Function));
  });

  it('004_592cdd860f3d4a71.txt 三(四)2(2): tallies by area and headcount; the developer\'s units without an owner count one head each; 3/4 adopts', () => {
    const electorate = [
      { unit_id: 'a', floor_area: '90.00', representative_id: 'alice' },
      { unit_id: 'b', floor_area: '90.00', representative_id: 'bob' },
      { unit_id: 'c', floor_area: '90.00', representative_id: 'carol' },
      { unit_id: 'd', floor_area: '90.00', representative_id: 'dave' },
      { unit_id: 'e', floor_area: '120.50', representative_id: null },
    ];
    const at = new Date(NOW);
    const ballots = ['a', 'b', 'c'].map((unit_id) => ({ vote_id: 'v1', unit_id, user_id: electorate.find((e) => e.unit_id === unit_id)!.representative_id, option: 0, cast_at: at }));
    ballots.push({ vote_id: 'v1', unit_id: 'd', user_id: 'dave', option: 1, cast_at: at });
    const result = tally(vote, electorate, ballots);
    expect(result.total).toEqual({ area: '480.50', headcount: 5 });
    expect(result.participating).toEqual({ area: '360.00', headcount: 4 });
    expect(result.perOption).toEqual([
      { option: '同意', area: '270.00', headcount: 3 },
      { option: '反对', area: '90.00', headcount: 1 },
      { option: '弃权', area: '0.00', headcount: 0 },
    ]);
    expect(result).toMatchObject({ participationMet: true, adopted: 0, adoptedOption: '同意', rule: 'seed_004_added_slots' });
  });
});
