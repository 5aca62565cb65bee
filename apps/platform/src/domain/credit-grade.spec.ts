import {
  belowThreshold,
  blackList,
  blackListed,
  complaintComponent,
  consequencesOf,
  creditScore,
  DEFAULT_RED_LIST_RULE,
  DEFAULT_WEIGHTS,
  recordedComponent,
  redList,
  serviceComponent,
  type CreditWeightSet,
} from './credit-grade';

const SET: CreditWeightSet = { version: 1, weights: DEFAULT_WEIGHTS, redList: DEFAULT_RED_LIST_RULE };
const part = (score: number | null, basis = 1) => ({ score, basis, note: 'test' });

describe('credit grade (seed 004_592cdd860f3d4a71.txt 五(三) 严格考核奖惩)', () => {
  describe('the 90-point threshold: "信用评价得分低于90分以下的 … 进行约谈并下发风险提示函"', () => {
    it('004 五(三): 89.99 points → an interview (约谈) and a risk notice (风险提示函)', () => {
      expect(belowThreshold(89.99)).toBe(true);
      expect(consequencesOf(89.99)).toEqual(['interview', 'risk_notice']);
    });

    it('004 五(三): exactly 90 is not "below 90": no interview, no risk notice', () => {
      expect(belowThreshold(90)).toBe(false);
      expect(consequencesOf(90)).toEqual([]);
      expect(consequencesOf(97.5)).toEqual([]);
    });

    it('004 五(三): an ungraded company (no data at all) has no consequence', () => {
      expect(consequencesOf(null)).toEqual([]);
    });
  });

  describe('the black list: "连续两年信用评价得分低于90分以下的企业, 列入 … 黑名单"', () => {
    it('004 五(三): below 90 two years running → black-listed in the second year, not the first', () => {
      const scores = new Map([[2025, 85], [2026, 88.5]]);
      expect(blackListed(scores, 2025)).toBe(false);
      expect(blackListed(scores, 2026)).toBe(true);
    });

    it('004 五(三): below 90, then 90, then below 90 again is not two consecutive years', () => {
      const scores = new Map([[2024, 80], [2025, 90], [2026, 80]]);
      expect(blackListed(scores, 2026)).toBe(false);
      expect(blackListed(scores, 2025)).toBe(false);
    });

    it('004 五(三): a year without a grade breaks the run (consecutive means graded both years)', () => {
      expect(blackListed(new Map([[2024, 80], [2026, 80]]), 2026)).toBe(false);
      expect(blackListed(new Map([[2025, null], [2026, 80]]), 2026)).toBe(false);
    });

    it('lists the black-listed companies of a year, lowest score first', () => {
      const grades = [
        { companyId: 'a', name: '甲物业', score: 70 },
        { companyId: 'b', name: '乙物业', score: 85 },
        { companyId: 'c', name: '丙物业', score: 88 },
        { companyId: 'd', name: '丁物业', score: 96 },
      ];
      const previous = new Map<string, number | null>([['a', 89], ['b', 92], ['c', 60], ['d', 50]]);
      expect(blackList(grades, previous, 2026).map((e) => [e.rank, e.company.companyId])).toEqual([[1, 'a'], [2, 'c']]);
    });
  });

  describe('the red list (no rule in the seeds: platform default ≥ 95 and the best 10, from the weight set)', () => {
    const grades = [
      { companyId: 'a', name: 'A', score: 99 },
      { companyId: 'b', name: 'B', score: 96 },
      { companyId: 'c', name: 'C', score: 96 },
      { companyId: 'd', name: 'D', score: 94.99 },
      { companyId: 'e', name: 'E', score: null },
    ];

    it('001_187fc5f9dc35b825.txt 三(三)1 红黑榜: the default takes every company at or above 95, best first', () => {
      expect(redList(grades, DEFAULT_RED_LIST_RULE).map((e) => [e.rank, e.company.companyId])).toEqual([[1, 'a'], [2, 'b'], [2, 'c']]);
    });

    it('a weight set limiting the list to the best 2 keeps a tie at the cut-off', () => {
      expect(redList(grades, { minScore: 95, topN: 2 }).map((e) => e.company.companyId)).toEqual(['a', 'b', 'c']);
      expect(redList(grades, { minScore: 95, topN: 1 }).map((e) => e.company.companyId)).toEqual(['a']);
    });

    it('never puts a company below the interview threshold on the red list, whatever the set says', () => {
      expect(redList([{ companyId: 'x', name: 'X', score: 80 }], { minScore: 0, topN: 10 })).toEqual([]);
    });
  });

  describe('the weighted score and its breakdown (004 五(三): 合同履行、投诉处理、日常检查、乡镇(街道办事处)意见; 001 四(三) 满意度)', () => {
    it('combines the five parts with the weights of the set and shows how each contributed', () => {
      const result = creditScore({ service: part(90), complaints: part(80), spotChecks: part(100), streetOpinions: part(70), survey: part(60) }, SET);
      // 0.3·90 + 0.2·80 + 0.25·100 + 0.15·70 + 0.1·60 = 27 + 16 + 25 + 10.5 + 6 = 84.5
      expect(result.score).toBe(84.5);
      expect(result.weightVersion).toBe(1);
      expect(result.breakdown.map((l) => [l.component, l.score, l.effectiveWeight, l.points])).toEqual([
        ['service', 90, 0.3, 27],
        ['complaints', 80, 0.2, 16],
        ['spotChecks', 100, 0.25, 25],
        ['streetOpinions', 70, 0.15, 10.5],
        ['survey', 60, 0.1, 6],
      ]);
      expect(result.breakdown.reduce((s, l) => s + l.points, 0)).toBeCloseTo(84.5, 6);
    });

    it('leaves out a part without data and scales the others up (no free 100, no penalty)', () => {
      const result = creditScore({ service: part(80), spotChecks: part(100), survey: part(null) }, SET);
      // (0.3·80 + 0.25·100) / 0.55 = 49 / 0.55 = 89.0909…
      expect(result.score).toBe(89.09);
      expect(result.breakdown.find((l) => l.component === 'survey')).toMatchObject({ score: null, effectiveWeight: 0, points: 0 });
      expect(consequencesOf(result.score)).toEqual(['interview', 'risk_notice']);
    });

    it('is null (not graded) when no part has data', () => {
      expect(creditScore({}, SET).score).toBeNull();
    });

    it('uses the weights of the version given and records that version', () => {
      const v2: CreditWeightSet = { version: 2, weights: { service: 0, complaints: 0, spotChecks: 1, streetOpinions: 0, survey: 0 }, redList: DEFAULT_RED_LIST_RULE };
      expect(creditScore({ service: part(10), spotChecks: part(95) }, v2)).toMatchObject({ score: 95, weightVersion: 2 });
    });
  });

  describe('component scores', () => {
    it('complaints: the share handled well, averaged with the owners’ rating', () => {
      expect(complaintComponent({ count: 10, late: 1, reopened: 1, repeat: 0, avgSatisfaction: null }).score).toBe(80);
      expect(complaintComponent({ count: 10, late: 1, reopened: 1, repeat: 0, avgSatisfaction: 4 }).score).toBe(77.5);
      expect(complaintComponent({ count: 0, late: 0, reopened: 0, repeat: 0, avgSatisfaction: null }).score).toBeNull();
    });

    it('spot checks, opinions and surveys: the mean of what was recorded', () => {
      expect(recordedComponent([80, 90, 100], 'spot checks')).toMatchObject({ score: 90, basis: 3 });
      expect(recordedComponent([], 'spot checks')).toMatchObject({ score: null, basis: 0 });
      expect(serviceComponent(null, 0).score).toBeNull();
    });
  });
});
