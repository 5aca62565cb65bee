import { createHash } from 'node:crypto';

/**
 * The lottery (摇号) for newly added parking slots: seed 004 三(四)2(2), "增建车位优先向小区业主租用,
 * 可通过摇号的方式进行". Anyone holding the published seed, entrants and slots re-runs it with
 * `lotteryMethod` and gets the same result: no hidden randomness, no dependence on input order.
 */
export const lotteryMethod =
  'entrants and slots deduplicated and sorted by Unicode code point; each entrant ranked by the SHA-256 hex digest of UTF-8 "<seed>\\n<entrant>" ascending (ties by entrant); the n-th slot goes to the n-th entrant, the rest wait in rank order';

export interface LotteryResult {
  /** Every entrant in drawn order with the digest that placed them. */
  ranking: Array<{ entrant: string; digest: string }>;
  assignments: Array<{ slot: string; entrant: string }>;
  /** Entrants without a slot, in drawn order (the waiting list). */
  waiting: string[];
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const canonical = (values: readonly string[]) => [...new Set(values)].sort(byCodePoint);

export function drawSlotLottery(seed: string, entrants: readonly string[], slots: readonly string[]): LotteryResult {
  const ranking = canonical(entrants)
    .map((entrant) => ({ entrant, digest: createHash('sha256').update(`${seed}\n${entrant}`, 'utf8').digest('hex') }))
    .sort((a, b) => byCodePoint(a.digest, b.digest) || byCodePoint(a.entrant, b.entrant));
  const sortedSlots = canonical(slots);
  const placed = Math.min(ranking.length, sortedSlots.length);
  return {
    ranking,
    assignments: sortedSlots.slice(0, placed).map((slot, i) => ({ slot, entrant: ranking[i].entrant })),
    waiting: ranking.slice(placed).map((r) => r.entrant),
  };
}
