import { describe, expect, it } from 'vitest';
import { deflatedSharpe, expectedMaxSharpe, normalCdf, normalQuantile, returnMoments } from '../../lambdas/core/deflated-sharpe.ts';

describe('deflated Sharpe ratio (Bailey and López de Prado 2014)', () => {
  it("reproduces the paper's worked example: SR 2.5 a year over 1,250 days, skew -3, kurtosis 10, 100 trials of variance 1/2 -> SR0 0.1132, DSR 0.9004", () => {
    const days = 250;
    const sr0 = expectedMaxSharpe(100, 0.5 / days);
    expect(sr0).toBeCloseTo(0.1132, 4);
    const dsr = deflatedSharpe({ count: 1250, sharpe: 2.5 / Math.sqrt(days), skewness: -3, kurtosis: 10 }, 100, 0.5 / days);
    expect(dsr.probability!).toBeCloseTo(0.9004, 3);
  });

  it('with one trial there is no selection to deflate: SR0 is 0 and DSR is the probabilistic Sharpe ratio', () => {
    expect(expectedMaxSharpe(1, 0.01)).toBe(0);
    const dsr = deflatedSharpe({ count: 101, sharpe: 0.1, skewness: 0, kurtosis: 3 }, 1, 0);
    expect(dsr.probability!).toBeCloseTo(normalCdf((0.1 * 10) / Math.sqrt(1 + 0.5 * 0.01)), 12);
  });

  it('more trials deflate more', () => {
    const m = { count: 1000, sharpe: 0.08, skewness: 0, kurtosis: 3 };
    const p = [1, 10, 100, 1000].map((n) => deflatedSharpe(m, n, 0.001).probability!);
    for (let i = 1; i < p.length; i++) expect(p[i]).toBeLessThan(p[i - 1]);
  });

  it('normal CDF and quantile agree with tabulated values and invert each other', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 5);
    for (const p of [0.001, 0.02, 0.3, 0.5, 0.9, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('moments of returns: Sharpe, skewness and (non-excess) kurtosis', () => {
    const equity = [100, 101, 100, 102, 101, 103];
    const r = [0.01, 100 / 101 - 1, 0.02, 101 / 102 - 1, 103 / 101 - 1];
    const mean = r.reduce((a, b) => a + b) / r.length;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
    const m = returnMoments(equity);
    expect(m.count).toBe(5);
    expect(m.sharpe).toBeCloseTo(mean / sd, 12);
    expect(Number.isFinite(m.skewness) && m.kurtosis > 0).toBe(true);
  });
});
