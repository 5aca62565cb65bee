/**
 * Cost sharing by floor area (住宅专项维修资金管理办法 Art. 20, 民法典 Art. 283):
 * share_i = cost × area_i ÷ Σ area over the charge scope, in whole fen, the shares adding up
 * exactly to the cost. Exact integer arithmetic: areas are decimal strings with up to 2
 * decimals (numeric(10,2)), taken as hundredths of a square metre; money is BigInt fen.
 * Rounding: every share is first rounded down, then the fen left over go one each to the
 * largest remainders (largest-remainder / Hamilton method); ties go to the larger area, then
 * to the smaller unit id, so the result never depends on input order.
 */

export interface AreaShareInput {
  unitId: string;
  /** Square metres as a decimal string, e.g. "89.50". */
  floorArea: string;
}

export interface AreaShare {
  unitId: string;
  floorArea: string;
  /** Hundredths of a square metre. */
  areaCenti: bigint;
  shareFen: bigint;
}

/** "89.5" → 8950n (hundredths). Rejects anything but a non-negative decimal with at most 2 decimals. */
export function areaToCenti(area: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(area.trim());
  if (!m) throw new Error(`not a floor area: "${area}"`);
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

export function shareCostByArea(costFen: bigint, units: readonly AreaShareInput[]): AreaShare[] {
  if (costFen < 0n) throw new Error('cost must not be negative');
  if (units.length === 0) throw new Error('the charge scope has no units');
  const ids = new Set<string>();
  const rows = units.map((u) => {
    if (ids.has(u.unitId)) throw new Error(`unit ${u.unitId} appears twice`);
    ids.add(u.unitId);
    return { unitId: u.unitId, floorArea: u.floorArea, areaCenti: areaToCenti(u.floorArea) };
  });
  const total = rows.reduce((sum, r) => sum + r.areaCenti, 0n);
  if (total <= 0n) throw new Error('the charge scope has no floor area');

  const shares = new Map(allocateByWeight(costFen, rows.map((r) => ({ unitId: r.unitId, weight: r.areaCenti }))).map((a) => [a.unitId, a.fen]));
  return rows.map(({ unitId, floorArea, areaCenti }) => ({ unitId, floorArea, areaCenti, shareFen: shares.get(unitId)! }));
}

/**
 * Splits `totalFen` over units in proportion to their weights (floor area, a balance), in whole
 * fen adding up exactly to the total: every part rounded down, then the fen left over one each to
 * the largest remainders; ties to the larger weight, then the smaller unit id, so the result never
 * depends on input order.
 */
export function allocateByWeight(totalFen: bigint, weights: ReadonlyArray<{ unitId: string; weight: bigint }>): Array<{ unitId: string; fen: bigint }> {
  if (totalFen < 0n) throw new RangeError('negative total');
  const sum = weights.reduce((s, w) => s + w.weight, 0n);
  if (weights.some((w) => w.weight < 0n)) throw new RangeError('negative weight');
  if (sum === 0n) {
    if (totalFen === 0n) return weights.map((w) => ({ unitId: w.unitId, fen: 0n }));
    throw new RangeError('nothing to allocate by');
  }
  const parts = weights.map((w) => ({ ...w, fen: (totalFen * w.weight) / sum, remainder: (totalFen * w.weight) % sum }));
  let left = totalFen - parts.reduce((s, p) => s + p.fen, 0n);
  const order = [...parts].sort((a, b) => {
    if (a.remainder !== b.remainder) return a.remainder > b.remainder ? -1 : 1;
    if (a.weight !== b.weight) return a.weight > b.weight ? -1 : 1;
    return a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0;
  });
  // left < number of units with a weight, since each part loses less than one fen.
  for (const p of order) {
    if (left <= 0n) break;
    p.fen += 1n;
    left -= 1n;
  }
  return parts.map((p) => ({ unitId: p.unitId, fen: p.fen }));
}

/** Fen as yuan text, "12345" → "123.45" (display and disclosure). */
export function fenToYuan(fen: bigint): string {
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
