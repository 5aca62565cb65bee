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

  const computed = rows.map((r) => {
    const numerator = costFen * r.areaCenti;
    return { ...r, shareFen: numerator / total, remainder: numerator % total };
  });
  let left = costFen - computed.reduce((sum, r) => sum + r.shareFen, 0n);
  const order = [...computed].sort((a, b) => {
    if (a.remainder !== b.remainder) return a.remainder > b.remainder ? -1 : 1;
    if (a.areaCenti !== b.areaCenti) return a.areaCenti > b.areaCenti ? -1 : 1;
    return a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0;
  });
  // left < number of units, since each floor loses less than one fen.
  for (const r of order) {
    if (left <= 0n) break;
    r.shareFen += 1n;
    left -= 1n;
  }
  return computed.map(({ unitId, floorArea, areaCenti, shareFen }) => ({ unitId, floorArea, areaCenti, shareFen }));
}

/** Fen as yuan text, "12345" → "123.45" (display and disclosure). */
export function fenToYuan(fen: bigint): string {
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
