import fc from 'fast-check';
import { centiToArea, decideVote, decisionRuleIds, decisionVoteRefusal, type Ballot, type ElectorateUnit } from './owner-vote';

/** n units of `area` m², each its own holder. */
function estate(n: number, area = '100.00'): ElectorateUnit[] {
  return Array.from({ length: n }, (_, i) => ({ unitId: `u${i}`, floorArea: area, holder: `h${i}` }));
}
const votes = (spec: Array<[number, number]>): Ballot[] => spec.map(([u, option]) => ({ unitId: `u${u}`, option }));
const range = (from: number, to: number, option: number): Array<[number, number]> => Array.from({ length: to - from }, (_, i) => [from + i, option]);

describe('owners\' joint decisions (民法典 art. 278)', () => {
  // art. 278 ¶2: participation by owners holding ≥ 2/3 of the area and ≥ 2/3 of the headcount.
  it('art. 278: exactly two thirds of area and headcount participating is enough; one unit fewer is not', () => {
    const units = estate(9);
    const six = decideVote('civil_code_278_majority', 2, units, votes(range(0, 6, 0)));
    expect(six.participationMet).toBe(true);
    expect(six.adopted).toBe(0);
    const five = decideVote('civil_code_278_majority', 2, units, votes(range(0, 5, 0)));
    expect(five.participationMet).toBe(false);
    expect(five.adopted).toBeNull();
  });

  it('art. 278: participation needs both measures: 2/3 of the heads holding under 2/3 of the area fails', () => {
    // One big unit (600 m²) and five small (60 m² each): total 900 m², 6 heads.
    const units: ElectorateUnit[] = [{ unitId: 'big', floorArea: '600.00', holder: 'hb' }, ...estate(5, '60.00')];
    const smallOnly = decideVote('civil_code_278_majority', 2, units, votes(range(0, 5, 0))); // 5/6 heads, 300/900 area
    expect(smallOnly.participating).toEqual({ areaCenti: 30_000n, headcount: 5 });
    expect(smallOnly.participationMet).toBe(false);
    const bigAndThree = decideVote('civil_code_278_majority', 2, units, [{ unitId: 'big', option: 0 }, ...votes(range(0, 3, 0))]); // 4/6 heads, 780/900 area
    expect(bigAndThree.participationMet).toBe(true);
  });

  it('art. 278 items 1–4, 9: more than half of the participating area and headcount; exactly half is not enough', () => {
    const units = estate(8);
    const half = decideVote('civil_code_278_majority', 2, units, votes([...range(0, 3, 0), ...range(3, 6, 1)]));
    expect(half.participationMet).toBe(true);
    expect(half.adopted).toBeNull();
    const more = decideVote('civil_code_278_majority', 2, units, votes([...range(0, 4, 0), ...range(4, 6, 1)]));
    expect(more.adopted).toBe(0);
    expect(more.perOption).toEqual([
      { areaCenti: 40_000n, headcount: 4 },
      { areaCenti: 20_000n, headcount: 2 },
    ]);
  });

  it('art. 278 items 5–8 (fund, rebuilding, common parts\' use): three quarters of the participants, at least', () => {
    const units = estate(8);
    // 8 participate: 6 for is exactly 3/4 → adopted; 5 for (62.5 %) is a majority but not enough.
    expect(decideVote('civil_code_278_special', 2, units, votes([...range(0, 6, 0), ...range(6, 8, 1)])).adopted).toBe(0);
    expect(decideVote('civil_code_278_special', 2, units, votes([...range(0, 5, 0), ...range(5, 8, 1)])).adopted).toBeNull();
    expect(decideVote('civil_code_278_majority', 2, units, votes([...range(0, 5, 0), ...range(5, 8, 1)])).adopted).toBe(0);
  });

  it('004_592cdd860f3d4a71.txt 三(四)2(2): adding parking slots needs ≥ 3/4 of the participating area and headcount', () => {
    const units = estate(12);
    // 12 participate, 8 for (2/3): a majority, yet the seed's rule refuses it; 9 for (3/4) adopts.
    expect(decideVote('seed_004_added_slots', 2, units, votes([...range(0, 8, 0), ...range(8, 12, 1)])).adopted).toBeNull();
    expect(decideVote('seed_004_added_slots', 2, units, votes([...range(0, 9, 0), ...range(9, 12, 1)])).adopted).toBe(0);
  });

  it('approval needs both measures: most heads holding under the threshold of area is refused', () => {
    // 3 small units (50 m²) for, 1 big unit (300 m²) against: 3/4 heads, 150/450 area.
    const units: ElectorateUnit[] = [...estate(3, '50.00'), { unitId: 'big', floorArea: '300.00', holder: 'hb' }];
    const outcome = decideVote('civil_code_278_majority', 2, units, [...votes(range(0, 3, 0)), { unitId: 'big', option: 1 }]);
    expect(outcome.participationMet).toBe(true);
    expect(outcome.adopted).toBeNull();
  });

  it('abstentions count as participation but not as approval', () => {
    const units = estate(6);
    // options: 0 同意, 1 反对, 2 弃权. 6 take part; 3 for is not more than half.
    expect(decideVote('civil_code_278_majority', 3, units, votes([...range(0, 3, 0), [3, 1], [4, 2], [5, 2]])).adopted).toBeNull();
  });

  it('司法解释 art. 9: one holder of several units counts as one head, each unit\'s area once', () => {
    const units: ElectorateUnit[] = [
      { unitId: 'a1', floorArea: '80.00', holder: 'alice' },
      { unitId: 'a2', floorArea: '80.00', holder: 'alice' },
      { unitId: 'b', floorArea: '80.00', holder: 'bob' },
      { unitId: 'c', floorArea: '80.00', holder: 'carol' },
    ];
    const outcome = decideVote('civil_code_278_majority', 2, units, [
      { unitId: 'a1', option: 0 },
      { unitId: 'a2', option: 0 },
    ]);
    expect(outcome.total).toEqual({ areaCenti: 32_000n, headcount: 3 });
    expect(outcome.participating).toEqual({ areaCenti: 16_000n, headcount: 1 });
    expect(outcome.participationMet).toBe(false);
  });

  it('refuses a second ballot of a unit, a unit outside the electorate and an option that does not exist', () => {
    const units = estate(3);
    expect(() => decideVote('civil_code_278_majority', 2, units, votes([[0, 0], [0, 1]]))).toThrow('twice');
    expect(() => decideVote('civil_code_278_majority', 2, units, [{ unitId: 'elsewhere', option: 0 }])).toThrow('not in the electorate');
    expect(() => decideVote('civil_code_278_majority', 2, units, votes([[0, 2]]))).toThrow('does not exist');
  });

  it('decides nothing in an empty electorate', () => {
    expect(decideVote('civil_code_278_majority', 2, [], [])).toMatchObject({ participationMet: false, adopted: null });
  });

  it('tallies add up exactly whatever the areas and ballots (property)', () => {
    const area = fc.tuple(fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 0, max: 99 })).map(([w, c]) => `${w}.${String(c).padStart(2, '0')}`);
    fc.assert(
      fc.property(fc.array(fc.tuple(area, fc.integer({ min: 0, max: 4 }), fc.integer({ min: -1, max: 2 })), { minLength: 1, maxLength: 40 }), fc.constantFrom(...decisionRuleIds), (rows, rule) => {
        const units = rows.map(([floorArea, holder], i) => ({ unitId: `u${i}`, floorArea, holder: `h${holder}` }));
        const ballots = rows.flatMap(([, , option], i) => (option >= 0 ? [{ unitId: `u${i}`, option }] : []));
        const outcome = decideVote(rule, 3, units, ballots);
        expect(outcome.perOption.reduce((s, t) => s + t.areaCenti, 0n)).toBe(outcome.participating.areaCenti);
        expect(outcome.participating.areaCenti <= outcome.total.areaCenti).toBe(true);
        expect(outcome.participating.headcount <= outcome.total.headcount).toBe(true);
        if (outcome.adopted !== null) expect(outcome.participationMet).toBe(true);
      }),
    );
  });

  it('prints hundredths of a square metre as m²', () => {
    expect(centiToArea(123_456n)).toBe('1234.56');
    expect(centiToArea(5n)).toBe('0.05');
  });
});

describe('a vote cited as the decision behind a tariff (issue 13 §2)', () => {
  const passed = { communityId: 'c1', status: 'closed' as const, adopted: 0, lastReview: null };
  it('accepts a closed vote of the same community that adopted an option', () => {
    expect(decisionVoteRefusal(passed, 'c1')).toBeNull();
  });
  it('refuses a vote of another community as if it did not exist, an open vote and one that passed nothing', () => {
    expect(decisionVoteRefusal(passed, 'c2')).toBe(decisionVoteRefusal(undefined, 'c2'));
    expect(decisionVoteRefusal({ ...passed, status: 'open', adopted: null }, 'c1')).toContain('not closed');
    expect(decisionVoteRefusal({ ...passed, adopted: null }, 'c1')).toContain('did not pass');
  });
  it('seed 002 五 职责分工: refuses a decision the street ordered corrected until a later review upholds it', () => {
    expect(decisionVoteRefusal({ ...passed, lastReview: 'ordered_corrected' }, 'c1')).toContain('ordered the decision corrected');
    expect(decisionVoteRefusal({ ...passed, lastReview: 'upheld' }, 'c1')).toBeNull();
  });
});
