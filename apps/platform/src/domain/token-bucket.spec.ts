import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows a burst, then the sustained rate', () => {
    const buckets = new TokenBuckets(10, 20);
    const taken = Array.from({ length: 25 }, () => buckets.take('d', 0)).filter(Boolean).length;
    expect(taken).toBe(20);
    expect(buckets.take('d', 50)).toBe(false); // 0.5 token refilled
    expect(buckets.take('d', 100)).toBe(true); // 1 token after 100 ms at 10/s
    expect(buckets.take('other', 100)).toBe(true);
  });

  it('charges a cost, going into debt once (issue 8: per reading, not per message)', () => {
    const buckets = new TokenBuckets(10, 20);
    expect(buckets.take('d', 0, 50)).toBe(true);
    expect(buckets.take('d', 2000, 1)).toBe(false); // -30 + 20 refilled
    expect(buckets.take('d', 3100, 1)).toBe(true);
  });
});
