/**
 * Exponential back-off after failed authentication, per key (a source address, a device id, a
 * username). The first `freeFailures` failures cost nothing; each one after that locks the key
 * for twice as long as the last, up to `maxDelayMs`. A success forgets the key; so does a quiet
 * `forgetAfterMs`. At most `maxKeys` keys are kept (the least recently failed go first), so a
 * flood of random usernames cannot grow memory. Pure: the caller passes the time.
 */
export interface FailureThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  maxKeys: number;
}

export interface ThrottleState {
  failures: number;
  /** ms since the epoch; 0 when not locked. */
  lockedUntil: number;
}

export class FailureThrottle {
  private readonly entries = new Map<string, ThrottleState & { lastFailure: number }>();

  constructor(private readonly options: FailureThrottleOptions) {}

  /** Milliseconds the key must still wait before its next attempt (0: it may try now). */
  retryAfter(key: string, now: number): number {
    const entry = this.live(key, now);
    return entry ? Math.max(0, entry.lockedUntil - now) : 0;
  }

  /** Records a failure; returns the key's state after it. */
  failure(key: string, now: number): ThrottleState {
    const previous = this.live(key, now);
    const failures = (previous?.failures ?? 0) + 1;
    const over = failures - this.options.freeFailures;
    const delay = over > 0 ? Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30)) : 0;
    const entry = { failures, lockedUntil: delay > 0 ? now + delay : 0, lastFailure: now };
    // Re-inserting keeps the map in order of the last failure, so the oldest is evicted first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
    return { failures, lockedUntil: entry.lockedUntil };
  }

  success(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private live(key: string, now: number): (ThrottleState & { lastFailure: number }) | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.lastFailure > this.options.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
