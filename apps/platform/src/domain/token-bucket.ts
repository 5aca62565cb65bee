/**
 * A token bucket per key: `ratePerSecond` sustained, bursts up to `burst`. Pure: the caller
 * passes the time, so tests need no clock.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  /**
   * Takes `cost` tokens when at least one is left; a cost larger than what is left puts the bucket
   * in debt (a backfill of many readings passes once, then the device waits it off).
   */
  take(key: string, now: number, cost = 1): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= cost;
    return true;
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
