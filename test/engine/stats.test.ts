import { describe, expect, it } from 'vitest';
import { barsFromArrays, MAX_CURVE_POINTS, runBacktest, syntheticSeries } from '../../engine/index.ts';
import { runWithTrace } from '../../engine/run.ts';
import { daily, DAY } from './helpers.ts';

describe('stats formulas on a hand-computed equity curve', () => {
  // Buy-and-hold, 100 cash, buys 10 units at open[1] = 10: equity = [100, 100, 120, 90, 150, 150].
  const bars = daily([10, 10, 12, 9, 15, 15]);
  const spec = { strategyId: 'buy-and-hold', params: {}, initialCash: 100, commission: 0 };

  it('returns, drawdown, trade and exposure stats', async () => {
    const { stats, equity } = await runWithTrace(bars, spec);
    expect([...equity]).toEqual([100, 100, 120, 90, 150, 150]);
    expect(stats).toMatchObject({
      bars: 6, trades: 1, equityFinal: 150, equityPeak: 150, returnPct: 50, buyHoldReturnPct: 50,
      maxDrawdownPct: -25, avgDrawdownPct: -25, maxDrawdownDurationDays: 2,
      winRatePct: 100, bestTradePct: 50, worstTradePct: 50, expectancyPct: 50, profitFactor: Infinity,
    });
    expect(stats.avgTradePct).toBeCloseTo(50, 10);
    expect(stats.exposurePct).toBeCloseTo((5 / 6) * 100, 10);
    expect(stats.cagrPct).toBeCloseTo((1.5 ** (365.25 / 5) - 1) * 100, 6);
  });

  it('annualises daily returns with 252 days (backtesting.py definitions)', async () => {
    const { stats } = await runBacktest(bars, spec);
    const r = [0, 0.2, -0.25, 150 / 90 - 1, 0];
    const g = r.reduce((p, x) => p * (1 + x), 1) ** (1 / r.length) - 1;
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1);
    const annReturn = (1 + g) ** 252 - 1;
    const vol = Math.sqrt((variance + (1 + g) ** 2) ** 252 - (1 + g) ** (2 * 252));
    const downside = Math.sqrt((0.25 ** 2) / r.length) * Math.sqrt(252);
    expect(stats.volatilityAnnPct / (vol * 100)).toBeCloseTo(1, 9);
    expect(stats.sharpe / (annReturn / vol)).toBeCloseTo(1, 9);
    expect(stats.sortino / (annReturn / downside)).toBeCloseTo(1, 9);
    expect(stats.calmar / (annReturn / 0.25)).toBeCloseTo(1, 9);
  });

  it('reports no-trade stats as NaN, not as fake zeros', async () => {
    const { stats } = await runBacktest(daily([10, 11, 12, 13]), { ...spec, strategyId: 'sma-cross', params: { fast: 1, slow: 2 } });
    expect(stats.trades).toBe(0);
    expect(stats.winRatePct).toBeNaN();
    expect(stats.profitFactor).toBeNaN();
    expect(stats.maxDrawdownPct).toBe(0);
    expect(stats.exposurePct).toBe(0);
  });

  it('uses 365 days when the data trades on weekends', async () => {
    // Same equity path, but on seven-day weeks: more than 60% of 2/7 of the bars fall on weekends.
    const close = Array.from({ length: 30 }, (_, i) => 10 + Math.sin(i) * 2);
    const week = barsFromArrays({ time: close.map((_, i) => Date.UTC(2020, 0, 4) + i * DAY), open: close, high: close, low: close, close });
    const { stats } = await runBacktest(week, spec);
    const eq: number[] = [];
    const units = Math.floor(100 / close[1]);
    for (let i = 0; i < close.length; i++) eq.push(i === 0 ? 100 : 100 - units * close[1] + units * close[i]);
    const r = eq.slice(1).map((e, i) => e / eq[i] - 1);
    const g = r.reduce((p, x) => p * (1 + x), 1) ** (1 / r.length) - 1;
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1);
    const vol = Math.sqrt((variance + (1 + g) ** 2) ** 365 - (1 + g) ** (2 * 365));
    expect(stats.volatilityAnnPct / (vol * 100)).toBeCloseTo(1, 9);
  });
});

describe('stats on intraday data', () => {
  it('aggregates to the last equity of each UTC day before computing daily-return stats', async () => {
    // Prepare: hourly synthetic bars, an always-in-the-market strategy so the equity moves every bar.
    const bars = syntheticSeries('SYNTH-DAYS', '1h', Date.UTC(2023, 0, 1), Date.UTC(2023, 5, 30));
    // Act
    const r = await runWithTrace(bars, { strategyId: 'sma-cross', params: { fast: 3, slow: 12, allowShort: true }, initialCash: 10_000, commission: 0.0005 });
    // Assess: recompute from the per-bar equity with a plain group-by-day.
    const dayClose = new Map<number, number>();
    for (let i = 0; i < bars.length; i++) dayClose.set(Math.floor(bars.time[i] / DAY), r.equity[i]);
    const closes = [...dayClose.values()];
    const ret = closes.slice(1).map((e, i) => e / closes[i] - 1);
    const g = ret.reduce((p, x) => p * (1 + x), 1) ** (1 / ret.length) - 1;
    const mean = ret.reduce((a, b) => a + b, 0) / ret.length;
    const variance = ret.reduce((a, b) => a + (b - mean) ** 2, 0) / (ret.length - 1);
    const annReturn = (1 + g) ** 252 - 1;
    const vol = Math.sqrt((variance + (1 + g) ** 2) ** 252 - (1 + g) ** (2 * 252));
    const downside = Math.sqrt(ret.reduce((a, x) => a + Math.min(x, 0) ** 2, 0) / ret.length) * Math.sqrt(252);
    expect(r.stats.trades).toBeGreaterThan(20);
    expect(r.stats.volatilityAnnPct / (vol * 100)).toBeCloseTo(1, 9);
    expect(r.stats.sharpe / (annReturn / vol)).toBeCloseTo(1, 9);
    expect(r.stats.sortino / (annReturn / downside)).toBeCloseTo(1, 9);
    // Drawdown periods, recomputed naively: peak-to-recovery spans in days.
    let peak = -Infinity, peakAt = 0, inDd = false, longest = 0, depth = 0;
    const depths: number[] = [];
    for (let i = 0; i < bars.length; i++) {
      const e = r.equity[i];
      if (e >= peak) {
        if (inDd) { longest = Math.max(longest, bars.time[i] - bars.time[peakAt]); depths.push(depth); }
        peak = e; peakAt = i; inDd = false; depth = 0;
      } else { inDd = true; depth = Math.max(depth, 1 - e / peak); }
    }
    if (inDd) { longest = Math.max(longest, bars.time[bars.length - 1] - bars.time[peakAt]); depths.push(depth); }
    expect(r.stats.maxDrawdownDurationDays).toBeCloseTo(longest / DAY, 9);
    expect(r.stats.avgDrawdownPct).toBeCloseTo((-depths.reduce((a, b) => a + b, 0) / depths.length) * 100, 9);
  });
});

describe('equity curve downsampling', () => {
  it('keeps at most 500 points including the first, the last, the global peak and the global trough', async () => {
    const n = 20_000;
    const close = Array.from({ length: n }, (_, i) => 100 + 30 * Math.sin(i / 700) + 5 * Math.sin(i / 13) + (i === 12_345 ? 60 : 0));
    const bars = barsFromArrays({ time: close.map((_, i) => Date.UTC(2020, 0, 1) + i * 60_000), open: close, high: close.map((c) => c + 61), low: close.map((c) => c - 1), close });
    const r = await runWithTrace(bars, { strategyId: 'buy-and-hold', params: {}, initialCash: 1e6, commission: 0, fractional: true });
    const { time, equity } = r.equityCurve;
    expect(time.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(time.length).toBeGreaterThan(400);
    expect(time[0]).toBe(bars.time[0]);
    expect(time.at(-1)).toBe(bars.time[n - 1]);
    expect(equity.at(-1)).toBe(r.stats.equityFinal);
    for (let i = 1; i < time.length; i++) expect(time[i]).toBeGreaterThan(time[i - 1]);
    const all = [...r.equity];
    expect(Math.max(...equity)).toBe(Math.max(...all));
    expect(Math.min(...equity)).toBe(Math.min(...all));
  });

  it('is exactly the first bar, each bucket\'s lowest and highest bar in time order, and the last bar', async () => {
    // A naive re-implementation over the per-bar equity: 249 equal index buckets between the first and the last bar,
    // first occurrence on ties (long-only leaves flat stretches of equal equity); a short series keeps every bar.
    for (const [n, allowShort] of [[20_011, true], [20_011, false], [400, false]] as const) {
      // Prepare
      const close = Array.from({ length: n }, (_, i) => 100 + 20 * Math.sin(i / 300) + 3 * Math.sin(i / 7) + (i % 97 === 0 ? 4 : 0));
      const bars = barsFromArrays({ time: close.map((_, i) => Date.UTC(2021, 0, 1) + i * 60_000), open: close, high: close.map((c) => c + 5), low: close.map((c) => c - 5), close });
      // Act
      const r = await runWithTrace(bars, { strategyId: 'sma-cross', params: { fast: 5, slow: 40, allowShort }, initialCash: 1e5, commission: 0.001, fractional: true });
      // Assess
      const bucket = n <= MAX_CURVE_POINTS ? 1 : Math.ceil((n - 2) / 249);
      const want: number[] = [0];
      for (let s = 1; s < n - 1; s += bucket) {
        let lo = s;
        let hi = s;
        for (let i = s; i < Math.min(s + bucket, n - 1); i++) {
          if (r.equity[i] < r.equity[lo]) lo = i;
          if (r.equity[i] > r.equity[hi]) hi = i;
        }
        want.push(Math.min(lo, hi));
        if (hi !== lo) want.push(Math.max(lo, hi));
      }
      want.push(n - 1);
      expect(r.equityCurve.time).toStrictEqual(want.map((i) => bars.time[i]));
      expect(r.equityCurve.equity).toStrictEqual(want.map((i) => r.equity[i]));
    }
  });
});
