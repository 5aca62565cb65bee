import type { SessionKind } from './parking-rules';

/**
 * Pay before leaving (issue 13 §7: "the exit gate opens when the bill is paid"). Pure rules; times
 * in ms, money in integer fen (BigInt).
 *
 * At the exit lane a stay of a visitor or a booked guest is priced first: the barrier opens at
 * once when nothing is due (free minutes, an exemption, a zero bill) or the bill is already paid,
 * and otherwise stays closed until the bill is paid. Residents (their approved plates, within the
 * per-unit quota) and emergency vehicles open as before, without waiting for a price.
 *
 * After the bill is paid the car has `graceMin` minutes to pass the lane (the common 缴费后 15
 * 分钟内离场 practice); read again later than that, the car stayed on after paying and a person at
 * the booth decides (the lane stays closed, the decision is routed to staff).
 */

/** Session kinds that pay at the exit before the barrier opens. */
export function paysAtExit(kind: SessionKind | undefined): boolean {
  return kind === 'visitor' || kind === 'booking';
}

export interface ExitBill {
  amountFen: bigint;
  paidFen: bigint;
  refundedFen: bigint;
}

/** What is still due: refunded money counts as not paid. Never negative. */
export function amountDue(b: ExitBill): bigint {
  const due = b.amountFen - (b.paidFen - b.refundedFen);
  return due > 0n ? due : 0n;
}

export interface ExitCheck {
  kind: SessionKind;
  bill: ExitBill;
  /** When the bill became paid (its last payment), if it is. */
  paidAt: number | null;
  /** When the lane was last let open for this stay (payment, staff, fire), if it was. */
  releasedAt: number | null;
  now: number;
  graceMin: number;
}

export type ExitDecision =
  | { cmd: 'open'; reason: 'exit' | 'paid' }
  | { cmd: 'hold'; reason: 'payment_due'; dueFen: bigint }
  | { cmd: 'hold'; reason: 'paid_grace_expired'; toPerson: true };

/**
 * The exit decision for a priced stay:
 *  1. residents and emergency vehicles, and bills of 0 fen: open ('exit');
 *  2. something due (unpaid, part-paid, refunded): hold 'payment_due' with what is due;
 *  3. paid (or let out) within the grace: open ('paid'); later: hold for a person.
 */
export function decideExit(c: ExitCheck): ExitDecision {
  if (!paysAtExit(c.kind) || c.bill.amountFen === 0n) return { cmd: 'open', reason: 'exit' };
  const due = amountDue(c.bill);
  if (due > 0n) return { cmd: 'hold', reason: 'payment_due', dueFen: due };
  const since = Math.max(c.paidAt ?? Number.NEGATIVE_INFINITY, c.releasedAt ?? Number.NEGATIVE_INFINITY);
  if (c.now - since <= c.graceMin * 60_000) return { cmd: 'open', reason: 'paid' };
  return { cmd: 'hold', reason: 'paid_grace_expired', toPerson: true };
}

/** A paid bill opens a held lane: what must hold for the platform to send 'open' on payment. */
export function releasesOnPayment(b: ExitBill): boolean {
  return b.amountFen > 0n && amountDue(b) === 0n;
}
