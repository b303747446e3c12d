import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../engine/index.ts';
import { dailyLogGrowth, dailyReturnSums } from '../../engine/stats.ts';
import { daily } from './helpers.ts';

/** A seeded random walk of day closes (xorshift), so a failure reproduces. */
function walk(days: number, seed: number, step = 0.02): Float64Array {
  const d = new Float64Array(days);
  let s = seed >>> 0 || 1;
  d[0] = 10_000;
  for (let i = 1; i < days; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = (s >>> 0) / 2 ** 32 - 0.5;
    // A third of the days flat, as a long-only strategy is out of the market.
    d[i] = i % 3 === 0 ? d[i - 1] : d[i - 1] * (1 + u * 2 * step);
  }
  return d;
}

describe('the geometric mean daily return comes from last / first equity (the product of 1 + r telescopes)', () => {
  it('is one log of the ratio, and agrees with summing log1p of every daily return', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const d = walk(3000, seed);
      const sums = dailyReturnSums(d, d.length, new Float64Array(d.length));
      expect(sums.logSum).toBe(Math.log(d[d.length - 1] / d[0]));
      let perDay = 0;
      for (let i = 1; i < d.length; i++) perDay += Math.log1p(d[i] / d[i - 1] - 1);
      // The per-day sum carries one rounding per day; the two stay within a few hundred ulps of each other.
      expect(Math.abs(perDay - sums.logSum)).toBeLessThan(1e-13 * Math.max(1, Math.abs(sums.logSum)));
    }
  });

  it('is NaN when a return is NaN, as the per-day sum was, so the risk measures stay NaN on a NaN close', async () => {
    expect(dailyLogGrowth(100, 120, Number.NaN)).toBeNaN();
    expect(dailyLogGrowth(100, 120, 0.2)).toBe(Math.log(1.2));
    // Always in the market (shorts allowed) so the NaN close is marked; the last close is a number again.
    const closes = Array.from({ length: 40 }, (_, i) => 10 + Math.sin(i / 2) * 2);
    closes[25] = Number.NaN;
    const { stats } = await runBacktest(daily(closes), { strategyId: 'sma-cross', params: { fast: 1, slow: 2, allowShort: true }, initialCash: 10_000, commission: 0 });
    expect(stats.trades).toBeGreaterThan(3);
    expect({ sharpe: stats.sharpe, sortino: stats.sortino, calmar: stats.calmar, volatilityAnnPct: stats.volatilityAnnPct }).toEqual({
      sharpe: Number.NaN,
      sortino: Number.NaN,
      calmar: Number.NaN,
      volatilityAnnPct: Number.NaN,
    });
  });
});
