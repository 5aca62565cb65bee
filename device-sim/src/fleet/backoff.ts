/**
 * Reconnect delays as device SDKs do them: exponential back-off with "equal jitter" (half of the
 * exponential step fixed, half random), so that a fleet thrown off at once by a broker restart
 * comes back spread over time instead of in synchronised waves, and never retries in a tight loop.
 */
export interface BackoffPolicy {
  /** First step, ms. */
  minMs: number;
  /** Largest step, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { minMs: 1000, maxMs: 30_000 };

/** The delay before reconnect attempt `attempt` (0 = first retry after a loss or failure). */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(attempt, 30));
  return step / 2 + random() * (step / 2);
}
