/**
 * Daily reconciliation (对账) of an online provider's statement with the platform's own payments
 * and refunds: every movement should appear on both sides with the same amount.
 */

export interface Movement {
  kind: 'payment' | 'refund';
  /** The merchant-side reference: our out_trade_no for payments, out_refund_no for refunds. */
  ref: string;
  amountFen: bigint;
}

export type Mismatch =
  | { problem: 'missing_on_platform'; kind: Movement['kind']; ref: string; providerFen: bigint }
  | { problem: 'missing_at_provider'; kind: Movement['kind']; ref: string; platformFen: bigint }
  | { problem: 'amount_differs'; kind: Movement['kind']; ref: string; platformFen: bigint; providerFen: bigint };

export interface Reconciliation {
  matched: number;
  mismatches: Mismatch[];
}

/** Yuan with up to two decimals ("12.50") in fen, without floating point. */
export function yuanToFen(yuan: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(yuan.trim());
  if (!m) throw new Error(`not an amount in yuan: "${yuan}"`);
  const fen = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

/** Fen as yuan with two decimals ("-0.05" for -5n): statements show refunds negative. */
export function fenToYuan(fen: bigint): string {
  const abs = fen < 0n ? -fen : fen;
  return `${fen < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

const key = (m: Movement) => `${m.kind}:${m.ref}`;

/** Sums movements by kind and reference (a statement may split one refund over lines). */
function byKey(movements: Movement[]): Map<string, Movement> {
  const map = new Map<string, Movement>();
  for (const m of movements) {
    const seen = map.get(key(m));
    map.set(key(m), seen ? { ...seen, amountFen: seen.amountFen + m.amountFen } : { ...m });
  }
  return map;
}

/** Compares the two sides; mismatches are listed in reference order so reports are stable. */
export function reconcile(platform: Movement[], provider: Movement[]): Reconciliation {
  const ours = byKey(platform);
  const theirs = byKey(provider);
  const mismatches: Mismatch[] = [];
  let matched = 0;
  for (const [k, p] of ours) {
    const t = theirs.get(k);
    if (!t) mismatches.push({ problem: 'missing_at_provider', kind: p.kind, ref: p.ref, platformFen: p.amountFen });
    else if (t.amountFen !== p.amountFen) mismatches.push({ problem: 'amount_differs', kind: p.kind, ref: p.ref, platformFen: p.amountFen, providerFen: t.amountFen });
    else matched++;
  }
  for (const [k, t] of theirs) {
    if (!ours.has(k)) mismatches.push({ problem: 'missing_on_platform', kind: t.kind, ref: t.ref, providerFen: t.amountFen });
  }
  mismatches.sort((a, b) => a.ref.localeCompare(b.ref) || a.kind.localeCompare(b.kind));
  return { matched, mismatches };
}
