/**
 * Fault tests (tests/faults/*.e2e-spec.ts) run short in `npm test` and long in `npm run chaos`.
 * `faultScale()` says which; `recordFault()` adds a row to the chaos report when the run asked for
 * one (FAULT_REPORT names a JSON-lines file; scripts/chaos.sh renders it into
 * bench/results/chaos-latest.md). Every row states what was acknowledged and what was stored, so
 * "nothing lost" is a comparison, not a claim.
 */
import { appendFileSync } from 'node:fs';

export interface FaultResult {
  /** The fault done, e.g. "kill -9 of the platform". */
  fault: string;
  /** The load it was done under, e.g. "10,000 msg/s QoS 1, 200 persistent-session devices". */
  load: string;
  acknowledged: number;
  stored: number;
  lost: number;
  duplicated: number;
  /** From the end of the fault to the platform serving normally again, in seconds. */
  recoverySeconds: number;
  /** Anything else worth a column: backlog peak, RSS peak, … */
  notes?: string;
}

export type FaultScale = 'short' | 'long';

/** 'long' under `npm run chaos` (FAULT_SCALE=long), 'short' in `npm test`. */
export function faultScale(): FaultScale {
  return process.env.FAULT_SCALE === 'long' ? 'long' : 'short';
}

/** Picks the short or the long value of a parameter (duration, rate, device count). */
export function byScale<T>(short: T, long: T): T {
  return faultScale() === 'long' ? long : short;
}

export function recordFault(result: FaultResult): void {
  const file = process.env.FAULT_REPORT;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...result, scale: faultScale(), at: new Date().toISOString() })}\n`);
}
