/**
 * Who opens, sees and answers a satisfaction survey, and how a closed one is tallied (issue 13 §3;
 * seed 001_187fc5f9dc35b825.txt 四(三) 每半年征询1次), with the repositories mocked
 * (tests/support/new-test-service.ts). The tallies themselves are domain/satisfaction-survey.spec.ts.
 */
import { BadRequestException, ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { newTestService } from '../../../../tests/support/new-test-service';
import { PLATFORM_CONFIG } from '../config/config.provider';
import type { CommunityRow } from '../repositories/community.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { JobRepository } from '../repositories/job.repository';
import { AuditRepository } from '../repositories/audit.repository';
import { SurveyRepository, type SurveyRow } from '../repositories/survey.repository';
import { UnitRepository } from '../repositories/unit.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { SurveyService, tally } from './survey.service';

const NOW = Date.parse('2026-11-20T02:00:00Z');
const owner: AuthUser = { id: 'u-owner', username: 'owner', role: 'owner', scope: { level: 'community', communityIds: ['c1'] } };
const committee: AuthUser = { id: 'u-committee', username: 'committee', role: 'owners_committee', scope: { level: 'community', communityIds: ['c1'] } };
const community = { id: 'c1', property_company_id: 'co1' } as CommunityRow;

const survey: SurveyRow = {
  id: 's1',
  community_id: 'c1',
  company_id: 'co1',
  period: '2026H2',
  areas: ['cleaning', 'parking'],
  status: 'open',
  opened_by: 'u-committee',
  opener_role: 'owners_committee',
  opened_at: new Date(NOW),
  closed_at: null,
  result: null,
};

function setup() {
  const t = newTestService(SurveyService, new Map([[PLATFORM_CONFIG, { timeZone: 'Asia/Shanghai' }]]));
  t.mock(ClockRepository).now.mockReturnValue(NOW);
  t.mock(AccessService).requireInScope.mockResolvedValue(community);
  t.mock(SurveyRepository).find.mockResolvedValue(survey);
  t.mock(SurveyRepository).answers.mockResolvedValue([]);
  t.mock(UnitRepository).verifiedOwnerHoldings.mockResolvedValue([{ unitId: 'un1', buildingId: 'b1', communityId: 'c1' }]);
  t.mock(UnitRepository).representedBy.mockResolvedValue(['un1']);
  return t;
}

describe('SurveyService', () => {
  it('opens no survey of a half-year not begun, nor of a community without a property company to rate', async () => {
    const { sut, mock } = setup();
    await expect(sut.open(committee, { communityId: 'c1', period: '2027H1' })).rejects.toThrow(BadRequestException);
    mock(AccessService).requireInScope.mockResolvedValue({ ...community, property_company_id: null });
    await expect(sut.open(committee, { communityId: 'c1', period: '2026H2' })).rejects.toThrow(ConflictException);
  });

  it('001 四(三) 每半年征询1次: a second survey of the community’s half-year is refused', async () => {
    const { sut, mock } = setup();
    mock(SurveyRepository).insert.mockResolvedValue(undefined);
    await expect(sut.open(committee, { communityId: 'c1', period: '2026H2' })).rejects.toThrow('has a survey of 2026H2 already');
  });

  it('hides the survey from an owner of the community who holds no verified unit (404, as outside the scope)', async () => {
    const { sut, mock } = setup();
    mock(UnitRepository).verifiedOwnerHoldings.mockResolvedValue([]);
    await expect(sut.get(owner, 's1')).rejects.toThrow(NotFoundException);
    await expect(sut.get(committee, 's1')).resolves.toMatchObject({ id: 's1', questions: [{ area: 'cleaning' }, { area: 'parking' }] });
  });

  it('lets only a unit’s representative answer, only about the areas asked, and once per unit', async () => {
    const { sut, mock } = setup();
    await expect(sut.answer(owner, 's1', { scores: { greening: 5 } })).rejects.toThrow('does not ask about greening');
    await expect(sut.answer(owner, 's1', { unitId: 'un2', scores: { cleaning: 5 } })).rejects.toThrow(ForbiddenException);
    mock(SurveyRepository).answer.mockResolvedValue({ refused: 'answered', unitId: 'un1' });
    await expect(sut.answer(owner, 's1', { scores: { cleaning: 5 } })).rejects.toThrow('unit un1 has answered this survey already: one answer per unit');
    mock(UnitRepository).representedBy.mockResolvedValue([]);
    await expect(sut.answer(owner, 's1', { scores: { cleaning: 5 } })).rejects.toThrow(ForbiddenException);
  });

  it('tallies over the community’s units as they are at closing: answers of units since removed are left out', () => {
    const answer = (unit: string, cleaning: number) => ({ survey_id: 's1', unit_id: unit, user_id: 'u', scores: { cleaning }, comments: null, answered_at: new Date(NOW) });
    const result = tally(survey, ['un1', 'un2'], [answer('un1', 5), answer('gone', 1)]);
    expect(result).toMatchObject({ units: 2, answeredUnits: 1, responseRate: 50, mean: 5, score: 100 });
  });

  describe('closing at the end of the half-year', () => {
    const END = Date.parse('2026-12-31T16:00:00Z'); // 2027-01-01 00:00 in Asia/Shanghai

    it('schedules the close job for the end of the period when a survey opens', async () => {
      const { sut, mock } = setup();
      mock(SurveyRepository).insert.mockResolvedValue(survey);
      await sut.open(committee, { communityId: 'c1', period: '2026H2' });
      expect(mock(JobRepository).schedule).toHaveBeenCalledWith(expect.objectContaining({ name: 'owners.survey.close' }), { surveyId: 's1' }, { jobId: 'survey-close-s1', dueAt: END });
    });

    it('a job run before the end (the clock behind) closes nothing and waits again', async () => {
      const { sut, mock } = setup();
      mock(ClockRepository).now.mockReturnValue(END - 1);
      await sut.onPeriodEnd('s1');
      expect(mock(SurveyRepository).close).not.toHaveBeenCalled();
      expect(mock(JobRepository).schedule).toHaveBeenCalledWith(expect.anything(), { surveyId: 's1' }, { jobId: `survey-close-s1-w${END - 1}`, dueAt: END });
    });

    it('at the end it tallies and closes once; a survey closed already (by hand or by another run) is left as it is', async () => {
      const { sut, mock } = setup();
      mock(ClockRepository).now.mockReturnValue(END);
      mock(UnitRepository).electorate.mockResolvedValue([{ unit_id: 'un1' }] as never);
      mock(SurveyRepository).close.mockResolvedValueOnce({ ...survey, status: 'closed', closed_at: new Date(END), result: { answeredUnits: 0, units: 1, score: null } } as SurveyRow);
      await sut.onPeriodEnd('s1');
      expect(mock(SurveyRepository).close).toHaveBeenCalledWith('s1', new Date(END), expect.any(Function));
      expect(mock(AuditRepository).record).toHaveBeenCalledTimes(1);
      expect(mock(AuditRepository).record).toHaveBeenCalledWith(expect.objectContaining({ actorId: null, action: 'survey.closed', subjectId: 's1' }));

      mock(SurveyRepository).close.mockResolvedValueOnce(undefined); // the row was closed between the read and the lock
      await sut.onPeriodEnd('s1');
      mock(SurveyRepository).find.mockResolvedValue({ ...survey, status: 'closed' });
      await sut.onPeriodEnd('s1');
      expect(mock(SurveyRepository).close).toHaveBeenCalledTimes(2);
      expect(mock(AuditRepository).record).toHaveBeenCalledTimes(1);
    });
  });
});
