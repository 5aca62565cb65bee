import { LatencyHistogram } from './stats';

describe('LatencyHistogram', () => {
  it('reports quantiles within 2 %', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 100); // 0.01 … 100 ms uniformly
    expect(h.quantile(0.5)! / 50).toBeCloseTo(1, 1);
    expect(h.quantile(0.99)! / 99).toBeCloseTo(1, 1);
    expect(h.quantile(1)).toBeLessThanOrEqual(100);
    h.reset();
    expect(h.quantile(0.5)).toBeNull();
  });
});
