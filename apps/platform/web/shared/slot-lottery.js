// The lottery (摇号) for added parking slots, re-run in the browser with Web Crypto: the same rule
// as the server's apps/platform/src/domain/slot-lottery.ts (`lotteryMethod`), which
// domain/slot-lottery.spec.ts checks gives the same result on the same inputs.
//   entrants and slots deduplicated and sorted by Unicode code point; each entrant ranked by the
//   SHA-256 hex digest of UTF-8 "<seed>\n<entrant>" ascending (ties by entrant); the n-th slot goes
//   to the n-th entrant, the rest wait in rank order.
// Both sides compare strings with JavaScript's < (UTF-16 code units), so they agree on every input.

const byCodePoint = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const canonical = (values) => [...new Set(values)].sort(byCodePoint);

/** Lower-case hex SHA-256 of the UTF-8 text, with the browser's (or Node's) Web Crypto. */
export async function sha256Hex(text) {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** { ranking: [{ entrant, digest }], assignments: [{ slot, entrant }], waiting: [entrant] } */
export async function drawSlotLottery(seed, entrants, slots) {
  const ranking = (await Promise.all(canonical(entrants).map(async (entrant) => ({ entrant, digest: await sha256Hex(`${seed}\n${entrant}`) })))).sort(
    (a, b) => byCodePoint(a.digest, b.digest) || byCodePoint(a.entrant, b.entrant),
  );
  const sortedSlots = canonical(slots);
  const placed = Math.min(ranking.length, sortedSlots.length);
  return {
    ranking,
    assignments: sortedSlots.slice(0, placed).map((slot, i) => ({ slot, entrant: ranking[i].entrant })),
    waiting: ranking.slice(placed).map((r) => r.entrant),
  };
}

/** Whether a published result is exactly the one the seed, entrants and slots give. */
export async function verifyLottery(lottery) {
  const again = await drawSlotLottery(lottery.seed, lottery.entrants, lottery.slots);
  const published = lottery.result;
  const same = (a, b, fields) => a.length === b.length && a.every((x, i) => fields.every((f) => x[f] === b[i][f]));
  const matches =
    same(again.ranking, published.ranking, ['entrant', 'digest']) &&
    same(again.assignments, published.assignments, ['slot', 'entrant']) &&
    again.waiting.length === published.waiting.length &&
    again.waiting.every((e, i) => e === published.waiting[i]);
  return { matches, result: again };
}
