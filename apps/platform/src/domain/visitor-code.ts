import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * One-time SMS codes that prove a visitor's mobile number (issue 13 §7). Pure rules: the caller
 * passes the time and keeps the state (visitor_codes, migrations/0022).
 */

/** A mainland China mobile number as a visitor types it: 11 digits, 1 then 3-9. */
export const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;
/** A code is six digits. */
export const CODE_PATTERN = /^\d{6}$/;
/** A code expires five minutes after it was sent. */
export const CODE_TTL_MS = 5 * 60_000;
/** Five tries per code; the sixth is refused even with the right code, and a new code must be asked for. */
export const MAX_TRIES = 5;

/** The number as the platform keeps it: spaces, dashes and a +86 / 0086 prefix dropped; undefined unless a mainland mobile. */
export function normalizeMobile(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '').replace(/^(\+86|0086)/, '');
  return MAINLAND_MOBILE.test(digits) ? digits : undefined;
}

/** 138****5678: how a visitor's number is shown. */
export function maskMobile(phone: string): string {
  return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

/** A fresh six-digit code from a cryptographic source (leading zeros kept). */
export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** How a code is stored: an HMAC under a server secret, bound to the number, never the code itself. */
export function codeDigest(secret: string, phone: string, code: string): string {
  return createHmac('sha256', secret).update(`visitor-code:${phone}:${code}`).digest('hex');
}

export interface StoredCode {
  digest: string;
  expiresAt: number;
  /** Tries already used, this one included when the caller counted it first. */
  tries: number;
}

export type CodeVerdict = { ok: true } | { ok: false; reason: 'no_code' | 'expired' | 'too_many_tries' | 'wrong_code' };

/**
 * Judges a try whose count is already included in `stored.tries` (the caller increments the
 * count atomically before comparing, so parallel guesses cannot exceed MAX_TRIES).
 */
export function judgeCode(stored: StoredCode | undefined, givenDigest: string, now: number): CodeVerdict {
  if (!stored) return { ok: false, reason: 'no_code' };
  if (now >= stored.expiresAt) return { ok: false, reason: 'expired' };
  if (stored.tries > MAX_TRIES) return { ok: false, reason: 'too_many_tries' };
  const a = Buffer.from(stored.digest, 'hex');
  const b = Buffer.from(givenDigest, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: 'wrong_code' };
  return { ok: true };
}
