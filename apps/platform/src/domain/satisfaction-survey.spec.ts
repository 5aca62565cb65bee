import { surveyAreaIds } from '@app/contracts';
import { surveyComponent } from './credit-grade';
import { combineResults, DEFAULT_SURVEY_QUESTIONS, parseSurveyPeriod, periodHasBegun, ratio, resultsByPeriod, surveyClosesAt, surveyPeriodEnd, surveyPeriodOf, tallySurvey } from './satisfaction-survey';

// Seed /work/shared/seeds/001_187fc5f9dc35b825.txt 四(三) 强化监督考核: "每半年(还建社区每季度)征询1次业主对
// 物业服务的满意度(一级物业服务满意率90% … 四级物业服务满意率60%)".
describe('satisfaction surveys (001_187fc5f9dc35b825.txt 四(三) 每半年征询1次业主满意度)', () => {
  describe('one survey per half-year', () => {
    it('001 四(三) 每半年: periods are half-years, H1 January–June, H2 July–December', () => {
      expect(parseSurveyPeriod('2026H2')).toEqual({ year: 2026, half: 2 });
      expect(parseSurveyPeriod('2026Q3')).toBeUndefined();
      expect(surveyPeriodOf('2026-06-30')).toBe('2026H1');
      expect(surveyPeriodOf('2026-07-01')).toBe('2026H2');
    });

    it('a half-year not begun cannot be surveyed; the current and past ones can', () => {
      expect(periodHasBegun('2026H2', '2026-06-30')).toBe(false);
      expect(periodHasBegun('2026H2', '2026-07-01')).toBe(true);
      expect(periodHasBegun('2025H1', '2026-11-20')).toBe(true);
      expect(periodHasBegun('nonsense', '2026-11-20')).toBe(false);
    });

    it('a survey closes by itself when its half-year ends, at local midnight of 1 July or 1 January', () => {
      expect(new Date(surveyPeriodEnd('2026H1', 'Asia/Shanghai')).toISOString()).toBe('2026-06-30T16:00:00.000Z');
      expect(new Date(surveyPeriodEnd('2026H2', 'Asia/Shanghai')).toISOString()).toBe('2026-12-31T16:00:00.000Z');
      expect(new Date(surveyPeriodEnd('2026H2', 'UTC')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
      expect(() => surveyPeriodEnd('2026Q3', 'UTC')).toThrow(RangeError);
    });

    it('a survey opened after its half-year ended runs to the end of the half-year it was opened in', () => {
      expect(new Date(surveyClosesAt('2026H2', '2026-11-20', 'Asia/Shanghai')).toISOString()).toBe('2026-12-31T16:00:00.000Z');
      expect(new Date(surveyClosesAt('2026H1', '2026-11-20', 'Asia/Shanghai')).toISOString()).toBe('2026-12-31T16:00:00.000Z');
      expect(new Date(surveyClosesAt('2026H1', '2026-06-30', 'Asia/Shanghai')).toISOString()).toBe('2026-06-30T16:00:00.000Z');
    });

    it('has a default question for each service area (客服, 保洁, 绿化, 秩序维护/安保, 设备维护, 停车) in Chinese and English', () => {
      expect(Object.keys(DEFAULT_SURVEY_QUESTIONS)).toEqual([...surveyAreaIds]);
      for (const q of Object.values(DEFAULT_SURVEY_QUESTIONS)) expect(q.zh.length && q.en.length).toBeTruthy();
      expect(DEFAULT_SURVEY_QUESTIONS.security.zh).toContain('秩序维护');
    });
  });

  describe('tallies (满意率 = scores of 4 or 5)', () => {
    const units = ['u1', 'u2', 'u3', 'u4'];

    it('001 四(三): mean, answers, 满意率 per area and response rate by unit', () => {
      const r = tallySurvey(['cleaning', 'parking'], units, [
        { unitId: 'u1', scores: { cleaning: 5, parking: 2 } },
        { unitId: 'u2', scores: { cleaning: 4 } }, // no car: parking left out
        { unitId: 'u3', scores: { cleaning: 3, parking: 4 } },
      ]);
      expect(r).toEqual({
        units: 4,
        answeredUnits: 3,
        responseRate: 75,
        mean: 3.6, // 18 / 5
        score: 65, // (3.6 − 1) / 4 × 100
        satisfiedRate: 60, // 3 of 5 scores are 4 or 5
        areas: [
          { area: 'cleaning', answers: 3, sum: 12, satisfied: 2, mean: 4, satisfiedRate: 66.7 },
          { area: 'parking', answers: 2, sum: 6, satisfied: 1, mean: 3, satisfiedRate: 50 },
        ],
      });
    });

    it('one answer per unit: a second answer of the same unit is refused, not doubled', () => {
      expect(() => tallySurvey(['cleaning'], units, [{ unitId: 'u1', scores: { cleaning: 5 } }, { unitId: 'u1', scores: { cleaning: 1 } }])).toThrow('answered twice');
    });

    it('refuses an answer of a unit outside the community, an area not asked, a score outside 1–5', () => {
      expect(() => tallySurvey(['cleaning'], units, [{ unitId: 'elsewhere', scores: { cleaning: 5 } }])).toThrow('not a unit');
      expect(() => tallySurvey(['cleaning'], units, [{ unitId: 'u1', scores: { parking: 5 } }])).toThrow('not asked');
      expect(() => tallySurvey(['cleaning'], units, [{ unitId: 'u1', scores: { cleaning: 6 } }])).toThrow('1–5');
      expect(() => tallySurvey(['cleaning'], units, [{ unitId: 'u1', scores: { cleaning: 4.5 } }])).toThrow('1–5');
    });

    it('an empty survey: no answers → no mean, no score (not a free 0 or 100), response rate 0', () => {
      const r = tallySurvey(['cleaning'], units, []);
      expect(r).toMatchObject({ units: 4, answeredUnits: 0, responseRate: 0, mean: null, score: null, satisfiedRate: null });
      expect(r.areas).toEqual([{ area: 'cleaning', answers: 0, sum: 0, satisfied: 0, mean: null, satisfiedRate: null }]);
      expect(tallySurvey(['cleaning'], [], []).responseRate).toBeNull();
    });

    it('rounds half up exactly: 2/3 → 66.7 %, 1.005 → 1.01 (float rounding gives 1), 1 of 3 units → 33.3 %', () => {
      expect(ratio(2 * 100, 3, 1)).toBe(66.7);
      expect(ratio(1005, 1000, 2)).toBe(1.01);
      expect(Math.round(1.005 * 100) / 100).toBe(1); // what float rounding would give
      const r = tallySurvey(['greening'], ['a', 'b', 'c'], [{ unitId: 'a', scores: { greening: 4 } }]);
      expect(r.responseRate).toBe(33.3);
      const mixed = tallySurvey(['greening'], ['a', 'b', 'c'], [
        { unitId: 'a', scores: { greening: 5 } },
        { unitId: 'b', scores: { greening: 5 } },
        { unitId: 'c', scores: { greening: 4 } },
      ]);
      expect(mixed.mean).toBe(4.67); // 14/3 = 4.666…
      expect(mixed.score).toBe(91.67); // 275/3 = 91.666…
    });
  });

  describe('results over time, per community and per company', () => {
    const a = tallySurvey(['cleaning'], ['a1', 'a2'], [{ unitId: 'a1', scores: { cleaning: 5 } }, { unitId: 'a2', scores: { cleaning: 5 } }]);
    const b = tallySurvey(['cleaning', 'security'], ['b1', 'b2', 'b3', 'b4'], [{ unitId: 'b1', scores: { cleaning: 1, security: 3 } }]);

    it('a company over two communities pools every answer (not a mean of the two means)', () => {
      const both = combineResults([a, b]);
      expect(both).toMatchObject({ units: 6, answeredUnits: 3, responseRate: 50, mean: 3.5, score: 62.5 });
      expect(both.areas.map((x) => [x.area, x.answers, x.mean])).toEqual([
        ['cleaning', 3, 3.67],
        ['security', 1, 3],
      ]);
      expect(combineResults([])).toMatchObject({ units: 0, answeredUnits: 0, responseRate: null, mean: null, score: null, areas: [] });
    });

    it('001 四(三) 每半年: one line per half-year, oldest first, each combining that half-year’s surveys', () => {
      const series = resultsByPeriod([
        { period: '2026H2', result: a },
        { period: '2026H1', result: b },
        { period: '2026H2', result: b },
      ]);
      expect(series.map((p) => [p.period, p.surveys, p.answeredUnits, p.mean])).toEqual([
        ['2026H1', 1, 1, 2],
        ['2026H2', 2, 3, 3.5],
      ]);
    });
  });

  describe('feeding the credit grade (001 四(三) "根据企业信用积分"): the owners’ answers win over typed-in scores', () => {
    it('uses the closed surveys when the company’s communities held any with answers', () => {
      expect(surveyComponent({ score: 80, surveys: 2, answers: 40 }, [95, 99])).toMatchObject({ score: 80, basis: 40 });
    });

    it('falls back to the survey scores officers typed in when no survey was held (or none was answered)', () => {
      expect(surveyComponent({ score: null, surveys: 0, answers: 0 }, [90, 80])).toMatchObject({ score: 85, basis: 2 });
      expect(surveyComponent({ score: null, surveys: 0, answers: 0 }, [])).toMatchObject({ score: null, basis: 0 });
    });
  });
});
