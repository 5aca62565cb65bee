import type { VoteRule } from '@app/contracts';
import { areaToCenti } from './cost-sharing';

/**
 * Owners' joint decisions (业主共同决定), 民法典 art. 278. A decision needs participation by owners
 * holding ≥ 2/3 of the exclusive floor area AND ≥ 2/3 of the owners (headcount); then approval by
 * the participants: more than half of their area and of their headcount for ordinary matters,
 * at least three quarters for art. 278 items 5–8 (raising or using the maintenance fund,
 * rebuilding, changing the use of common parts or running business on them). The rule is chosen
 * per vote from `decisionRules`; the seeds' special cases are rules of the list, not code paths.
 *
 * Counting (最高人民法院《关于审理建筑物区分所有权纠纷案件具体应用法律若干问题的解释》 art. 8–9):
 * area is each unit's exclusive area, counted once per unit; headcount is one per unit, except
 * that one holder of several units (and the developer for the units it still holds) counts as one
 * person. A co-owned unit votes once, by its representative. Exact integer arithmetic: areas in
 * hundredths of a square metre (BigInt), thresholds compared by cross-multiplication.
 */

/** A fraction n/d; `strict` means "more than", otherwise "at least". */
interface Threshold {
  n: bigint;
  d: bigint;
  strict: boolean;
}

export interface DecisionRule {
  id: string;
  /** Where the rule comes from (shown with the result). */
  source: string;
  participation: Threshold;
  approval: Threshold;
}

const twoThirds: Threshold = { n: 2n, d: 3n, strict: false };
const overHalf: Threshold = { n: 1n, d: 2n, strict: true };
const threeQuarters: Threshold = { n: 3n, d: 4n, strict: false };

export const decisionRules = {
  /** Ordinary matters (art. 278 items 1–4, 9): rules of procedure, management statute, electing the committee, hiring the property company, other major matters. */
  civil_code_278_majority: { id: 'civil_code_278_majority', source: '民法典 第二百七十八条 (一)–(四)、(九)', participation: twoThirds, approval: overHalf },
  /** Art. 278 items 5–8: raising or using the maintenance fund, rebuilding, changing the use of common parts. */
  civil_code_278_special: { id: 'civil_code_278_special', source: '民法典 第二百七十八条 (五)–(八)', participation: twoThirds, approval: threeQuarters },
  /** 004_592cdd860f3d4a71.txt 三(四)2(2): adding parking slots needs 3/4 of the participating area and headcount. */
  seed_004_added_slots: { id: 'seed_004_added_slots', source: '昭通市指导意见 三(四)2(2) 增建车位', participation: twoThirds, approval: threeQuarters },
} as const satisfies Record<VoteRule, DecisionRule>;

export type DecisionRuleId = VoteRule;
export const decisionRuleIds = Object.keys(decisionRules) as DecisionRuleId[];

/** A unit of the community: its exclusive area and who counts as its person (see above). */
export interface ElectorateUnit {
  unitId: string;
  /** Square metres, a decimal string with at most 2 decimals. */
  floorArea: string;
  /** The person the unit counts as in the headcount: its representative, or a shared key for the developer's unsold units. */
  holder: string;
}

export interface Ballot {
  unitId: string;
  /** Index into the vote's options. */
  option: number;
}

export interface Tally {
  /** Hundredths of a square metre. */
  areaCenti: bigint;
  headcount: number;
}

export interface VoteOutcome {
  rule: DecisionRuleId;
  total: Tally;
  participating: Tally;
  perOption: Tally[];
  participationMet: boolean;
  /** The option approved by the rule's majority of participating area and headcount, or null. */
  adopted: number | null;
}

function meets(part: bigint, whole: bigint, t: Threshold): boolean {
  if (whole === 0n) return false;
  return t.strict ? part * t.d > whole * t.n : part * t.d >= whole * t.n;
}

/**
 * Tallies a vote by area and headcount and decides it. Ballots of units outside the electorate,
 * a second ballot of the same unit, and options out of range are programming errors (the service
 * refuses them before they are stored) and throw.
 */
export function decideVote(rule: DecisionRuleId, optionCount: number, electorate: readonly ElectorateUnit[], ballots: readonly Ballot[]): VoteOutcome {
  const units = new Map<string, { area: bigint; holder: string }>();
  for (const u of electorate) {
    if (units.has(u.unitId)) throw new Error(`unit ${u.unitId} is in the electorate twice`);
    units.set(u.unitId, { area: areaToCenti(u.floorArea), holder: u.holder });
  }
  const total: Tally = { areaCenti: 0n, headcount: new Set(electorate.map((u) => u.holder)).size };
  for (const u of units.values()) total.areaCenti += u.area;

  const seen = new Set<string>();
  const area = Array.from({ length: optionCount }, () => 0n);
  const heads = Array.from({ length: optionCount }, () => new Set<string>());
  const voters = new Set<string>();
  let participatingArea = 0n;
  for (const b of ballots) {
    const unit = units.get(b.unitId);
    if (!unit) throw new Error(`unit ${b.unitId} is not in the electorate`);
    if (seen.has(b.unitId)) throw new Error(`unit ${b.unitId} voted twice`);
    if (!Number.isInteger(b.option) || b.option < 0 || b.option >= optionCount) throw new Error(`option ${b.option} does not exist`);
    seen.add(b.unitId);
    area[b.option] += unit.area;
    heads[b.option].add(unit.holder);
    voters.add(unit.holder);
    participatingArea += unit.area;
  }
  const participating: Tally = { areaCenti: participatingArea, headcount: voters.size };
  const perOption = area.map((a, i) => ({ areaCenti: a, headcount: heads[i].size }));
  const r: DecisionRule = decisionRules[rule];
  const participationMet = meets(participating.areaCenti, total.areaCenti, r.participation) && meets(BigInt(participating.headcount), BigInt(total.headcount), r.participation);
  const adopted = participationMet
    ? perOption.findIndex((t) => meets(t.areaCenti, participating.areaCenti, r.approval) && meets(BigInt(t.headcount), BigInt(participating.headcount), r.approval))
    : -1;
  return { rule, total, participating, perOption, participationMet, adopted: adopted >= 0 ? adopted : null };
}

/** Hundredths of a square metre as "1234.56". */
export function centiToArea(centi: bigint): string {
  return `${centi / 100n}.${String(centi % 100n).padStart(2, '0')}`;
}

/** What a decision reference needs to know of a vote. */
export interface DecidedVote {
  communityId: string;
  status: 'open' | 'closed';
  /** The adopted option, null when nothing met the rule (or not closed yet). */
  adopted: number | null;
  /** The street's latest review of the decision, if any. */
  lastReview: 'upheld' | 'ordered_corrected' | null;
}

/**
 * Why a vote cannot be cited as the decision behind something of a community (a parking tariff,
 * issue 13 §2), or null when it can: a closed vote of that same community that adopted an option
 * and that the street has not ordered corrected (seed 002 五 职责分工; a later "upheld" lifts it).
 * A vote of another community reads like a missing one, so its existence is not disclosed.
 */
export function decisionVoteRefusal(vote: DecidedVote | undefined, communityId: string): string | null {
  if (!vote || vote.communityId !== communityId) return 'no vote of this community has that id';
  if (vote.status !== 'closed') return 'the vote has not closed yet';
  if (vote.adopted === null) return 'the vote did not pass: no option met its rule';
  if (vote.lastReview === 'ordered_corrected') return 'the street ordered the decision corrected';
  return null;
}
