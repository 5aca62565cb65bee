import { FailureThrottle } from './failure-throttle';

const options = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 600_000, maxKeys: 3 };

describe('FailureThrottle', () => {
  it('lets the first failures through, then doubles the wait with every further failure up to the cap', () => {
    const t = new FailureThrottle(options);
    const now = 1_000_000;
    for (let i = 0; i < 3; i++) t.failure('k', now);
    expect(t.retryAfter('k', now)).toBe(0);
    expect(t.failure('k', now).lockedUntil).toBe(now + 1000);
    expect(t.failure('k', now).lockedUntil).toBe(now + 2000);
    expect(t.failure('k', now).lockedUntil).toBe(now + 4000);
    expect(t.retryAfter('k', now + 1000)).toBe(3000);
    for (let i = 0; i < 20; i++) t.failure('k', now);
    expect(t.retryAfter('k', now)).toBe(60_000);
  });

  it('forgets a key after a success or a quiet period', () => {
    const t = new FailureThrottle(options);
    for (let i = 0; i < 5; i++) t.failure('a', 0);
    expect(t.retryAfter('a', 0)).toBeGreaterThan(0);
    t.success('a');
    expect(t.retryAfter('a', 0)).toBe(0);
    for (let i = 0; i < 5; i++) t.failure('b', 0);
    expect(t.retryAfter('b', 600_001 + 2000)).toBe(0);
    expect(t.failure('b', 600_001 + 2000).failures).toBe(1);
  });

  it('keeps at most maxKeys keys, evicting the least recently failed', () => {
    const t = new FailureThrottle(options);
    for (const key of ['a', 'b', 'c', 'd']) t.failure(key, 0);
    expect(t.size).toBe(3);
    t.failure('b', 1);
    t.failure('e', 2);
    expect(t.failure('c', 3).failures).toBe(1); // 'c' was evicted before 'b'
  });
});
