/**
 * The yearly grading run and assessments (issue 13 §5) with the repositories mocked
 * (tests/support/new-test-service.ts). The thresholds themselves: domain/credit-grade.spec.ts.
 */
import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { newTestService } from '../../../../tests/support/new-test-service';
import { PLATFORM_CONFIG } from '../config/config.provider';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CreditRepository, type CreditWeightSetRow } from '../repositories/credit.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { CreditSourcesService } from './credit-sources.service';
import { CreditService } from './credit.service';

const NOW = Date.parse('2026-06-01T02:00:00Z');
const district: AuthUser = { id: 'u-district', username: 'district', role: 'district_authority', scope: { level: 'district', district: '鼓楼区' } };
const set: CreditWeightSetRow = { version: 3, weights: { service: 0.3, complaints: 0.2, spotChecks: 0.25, streetOpinions: 0.15, survey: 0.1 }, red_min_score: 95, red_top_n: 10, note: null, created_by: null, created_at: new Date(NOW) };
const part = (score: number | null) => ({ score, basis: 1, note: 'test' });

function setup(spotCheck: number) {
  const t = newTestService(CreditService, new Map([[PLATFORM_CONFIG, { timeZone: 'Asia/Shanghai' }]]));
  t.mock(ClockRepository).now.mockReturnValue(NOW);
  t.mock(AccessService).visibleCommunityIds.mockResolvedValue(['c1']);
  const repo = t.mock(CreditRepository);
  repo.latestWeightSet.mockResolvedValue(set);
  repo.companiesServing.mockResolvedValue(['co1']);
  repo.communitiesOf.mockResolvedValue(new Map([['co1', ['c1']]]));
  repo.grades.mockResolvedValue([]);
  repo.actions.mockResolvedValue([]);
  repo.companies.mockResolvedValue([]);
  repo.addAction.mockResolvedValue(true);
  repo.removeActions.mockResolvedValue([]);
  t.mock(CreditSourcesService).inputs.mockResolvedValue(new Map([['co1', { spotChecks: part(spotCheck) }]]));
  return { ...t, repo };
}

describe('CreditService', () => {
  it('004 五(三): a company below 90 gets an interview and a risk notice recorded with the weight version used', async () => {
    const { sut, repo, mock } = setup(85);
    const result = await sut.run(district, 2025);
    expect(result.weightVersion).toBe(3);
    expect(repo.saveGrade).toHaveBeenCalledWith(expect.objectContaining({ company_id: 'co1', year: 2025, score: 85, weight_version: 3 }));
    expect(repo.addAction.mock.calls.map(([a]) => a.kind)).toEqual(['interview', 'risk_notice']);
    expect(mock(AuditRepository).record.mock.calls.map(([e]) => e.action)).toEqual(['credit.interview.recorded', 'credit.risk_notice.recorded', 'credit.graded']);
  });

  it('re-running a year records no interview twice (the repository answers "already there")', async () => {
    const { sut, repo, mock } = setup(85);
    repo.addAction.mockResolvedValue(false);
    await sut.run(district, 2025);
    expect(mock(AuditRepository).record.mock.calls.map(([e]) => e.action)).toEqual(['credit.graded']);
  });

  it('a re-run that finds the company at 90 or above withdraws the year’s interview and risk notice, audited', async () => {
    const { sut, repo, mock } = setup(90);
    repo.removeActions.mockResolvedValue(['interview', 'risk_notice']);
    await sut.run(district, 2025);
    expect(repo.addAction).not.toHaveBeenCalled();
    expect(repo.removeActions).toHaveBeenCalledWith('co1', 2025);
    expect(mock(AuditRepository).record.mock.calls[0][0]).toMatchObject({ action: 'credit.actions.withdrawn', subjectId: 'co1', detail: { year: 2025, score: 90 } });
  });

  it('does not grade a year that has not begun', async () => {
    const { sut } = setup(85);
    await expect(sut.run(district, 2027)).rejects.toThrow(BadRequestException);
  });

  it('refuses an assessment dated in the future and one of a community without a property company', async () => {
    const { sut, mock } = setup(85);
    const community = { id: 'c1', name: 'A', district: '鼓楼区', street: '东街街道', address: null, created_at: new Date(NOW), property_company_id: 'co1', visitors_allowed: false };
    mock(AccessService).requireInScope.mockResolvedValue(community);
    await expect(sut.addAssessment(district, { communityId: 'c1', kind: 'spot_check', assessedOn: '2026-06-02', score: 80 })).rejects.toThrow(BadRequestException);
    mock(AccessService).requireInScope.mockResolvedValue({ ...community, property_company_id: null });
    await expect(sut.addAssessment(district, { communityId: 'c1', kind: 'spot_check', assessedOn: '2026-05-30', score: 80 })).rejects.toThrow(ConflictException);
  });

  it('answers 404 for a company that serves none of the caller’s communities', async () => {
    const { sut } = setup(85);
    await expect(sut.grade(district, 2025, 'co-elsewhere')).rejects.toThrow(NotFoundException);
  });
});
