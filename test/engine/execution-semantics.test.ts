import { describe, expect, it } from 'vitest';
import { EngineInputError, runBacktest } from '../../engine/index.ts';
import { runWithTrace } from '../../engine/run.ts';
import type { BacktestSpec } from '../../engine/types.ts';
import { daily, iso } from './helpers.ts';

// Closes chosen so that close - SMA(2) = [NaN, -0.5, 1, 0.5, -1, 1.5]: an up-cross on bar 2, a down-cross on bar 4 and
// an up-cross on the last bar (which has no next open). fast = 1 is the close itself.
const CLOSE = [10, 9, 11, 12, 10, 13];
const OPEN = [10, 9.5, 10.5, 11.5, 12.5, 10.5];
const smaSpec = (over: Partial<BacktestSpec> = {}): BacktestSpec => ({
  strategyId: 'sma-cross',
  params: { fast: 1, slow: 2 },
  initialCash: 100,
  commission: 0,
  ...over,
});

describe('execution semantics on hand-computed series', () => {
  it('fills a signal at the next bar open, marks equity at every close, and ignores a signal on the last bar', async () => {
    // Prepare
    const bars = daily(CLOSE, OPEN);
    // Act
    const r = await runWithTrace(bars, smaSpec());
    // Assess: up-cross on bar 2 -> buy floor(100 / 11.5) = 8 at open[3]; down-cross on bar 4 -> sell at open[5].
    expect(r.trades).toEqual([
      { side: 'long', size: 8, entryTime: iso(3), exitTime: iso(5), entryPrice: 11.5, exitPrice: 10.5, pnl: -8, returnPct: expect.closeTo((10.5 / 11.5 - 1) * 100, 10) },
    ]);
    expect([...r.equity]).toEqual([100, 100, 100, 8 + 8 * 12, 8 + 8 * 10, 92]);
    expect(r.stats.equityFinal).toBe(92);
    expect(r.stats.trades).toBe(1);
  });

  it('treats a cross as strict: touching the average is not crossing it', async () => {
    // close - SMA(2) = [NaN, -0.5, 0, 0.5, 0]: from below to equal, then equal to above, never strictly across.
    const bars = daily([11, 10, 10, 11, 11]);
    const r = await runBacktest(bars, smaSpec());
    expect(r.trades).toEqual([]);
    expect(r.stats.equityFinal).toBe(100);
  });

  it('needs both bars of a cross defined: no signal from the warm-up bar', async () => {
    // close - SMA(2) = [NaN, 1, ...]: bar 0 has no SMA, so the jump from bar 0 to bar 1 is not a cross.
    const bars = daily([9, 11, 12, 13]);
    const r = await runBacktest(bars, smaSpec());
    expect(r.trades).toEqual([]);
  });

  it('reverses by closing first, then opening with the equity after the close, commission on every fill', async () => {
    // Prepare: allowShort, 1% commission; up-cross bar 2, down-cross bar 4, up-cross bar 5, last bar 6.
    const bars = daily([10, 9, 11, 12, 10, 13, 13], [10, 9.5, 10.5, 11.5, 12.5, 10.5, 12]);
    // Act
    const r = await runWithTrace(bars, smaSpec({ params: { fast: 1, slow: 2, allowShort: true }, initialCash: 1000, commission: 0.01 }));
    // Assess (hand computation):
    //  bar 3 buy  floor(1000 / (11.5 * 1.01)) = 86 @ 11.5: cost 989 + 9.89 -> cash 1.11
    //  bar 5 sell 86 @ 10.5: 903 - 9.03 -> cash 895.08; pnl 903 - 989 - 9.89 - 9.03 = -104.92
    //        short floor(895.08 / (10.5 * 1.01)) = 84 @ 10.5: +882 - 8.82 -> cash 1768.26
    //  bar 6 cover 84 @ 12: -1008 - 10.08 -> cash 750.18; pnl 882 - 1008 - 8.82 - 10.08 = -144.90
    //        buy floor(750.18 / (12 * 1.01)) = 61 @ 12: -732 - 7.32 -> cash 10.86
    //        last bar: close 61 @ 13: +793 - 7.93 -> cash 795.93; pnl 793 - 732 - 7.32 - 7.93 = 45.75
    const trades = r.trades.map((t) => [t.side, t.size, t.entryPrice, t.exitPrice, +t.pnl.toFixed(8)]);
    expect(trades).toEqual([
      ['long', 86, 11.5, 10.5, -104.92],
      ['short', 84, 10.5, 12, -144.9],
      ['long', 61, 12, 13, 45.75],
    ]);
    expect(r.trades[1].entryTime).toBe(r.trades[0].exitTime);
    expect(r.trades[1].returnPct).toBeCloseTo((1 - 12 / 10.5) * 100, 10);
    expect([...r.equity].map((e) => +e.toFixed(8))).toEqual([1000, 1000, 1000, 1033.11, 861.11, 676.26, 795.93]);
    expect(r.stats.equityFinal).toBeCloseTo(795.93, 9);
  });

  it('long-only closes on a down-cross and does not go short', async () => {
    const bars = daily([10, 9, 11, 12, 10, 13, 13], [10, 9.5, 10.5, 11.5, 12.5, 10.5, 12]);
    const r = await runBacktest(bars, smaSpec({ initialCash: 1000 }));
    expect(r.trades.map((t) => [t.side, t.entryTime, t.exitTime])).toEqual([
      ['long', iso(3), iso(5)],
      ['long', iso(6), iso(6)],
    ]);
  });

  it('sizes all-in with whole units: floor(equity / (fill * (1 + commission)))', async () => {
    const bars = daily([10, 10, 10, 12], [10, 10, 10, 11]);
    const r = await runBacktest(bars, { strategyId: 'buy-and-hold', params: {}, initialCash: 1000, commission: 0.02 });
    // 1000 / (10 * 1.02) = 98.04 -> 98 units; entry commission 19.6; exit at the last close 12 with commission 23.52.
    expect(r.trades[0].size).toBe(98);
    expect(r.trades[0].pnl).toBeCloseTo(98 * 2 - 19.6 - 23.52, 9);
    expect(r.stats.equityFinal).toBeCloseTo(1000 - 980 - 19.6 + 1176 - 23.52, 9);
  });

  it('closes a position still open at the end at the last close', async () => {
    const bars = daily([10, 10, 10, 12], [10, 10, 10, 11]);
    const r = await runWithTrace(bars, { strategyId: 'buy-and-hold', params: {}, initialCash: 1000, commission: 0 });
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]).toMatchObject({ entryTime: iso(1), exitTime: iso(3), entryPrice: 10, exitPrice: 12, size: 100 });
    expect(r.position[3]).toBe(0);
    expect(r.stats.equityFinal).toBe(1200);
  });

  it('applies slippage against the trader: buys fill higher, sells lower, for longs and shorts', async () => {
    // Long: buy-and-hold with 100 bps.
    const long = await runBacktest(daily([10, 10, 10, 12], [10, 10, 10, 11]), {
      strategyId: 'buy-and-hold', params: {}, initialCash: 1000, commission: 0, slippageBps: 100,
    });
    expect(long.trades[0].entryPrice).toBeCloseTo(10.1, 12);
    expect(long.trades[0].exitPrice).toBeCloseTo(11.88, 12);
    expect(long.trades[0].size).toBe(99); // floor(1000 / 10.1)
    // Short: the reversal series; the short sells at open * 0.99 and covers at open * 1.01.
    const short = await runBacktest(daily([10, 9, 11, 12, 10, 13, 13], [10, 9.5, 10.5, 11.5, 12.5, 10.5, 12]), smaSpec({
      params: { fast: 1, slow: 2, allowShort: true }, initialCash: 1000, slippageBps: 100,
    }));
    expect(short.trades[1].side).toBe('short');
    expect(short.trades[1].entryPrice).toBeCloseTo(10.5 * 0.99, 12);
    expect(short.trades[1].exitPrice).toBeCloseTo(12 * 1.01, 12);
    expect(short.trades[0].exitPrice).toBeCloseTo(10.5 * 0.99, 12);
  });

  it('sizes by fixed units (capped at what the equity affords) and by a fraction of equity', async () => {
    const bars = daily([10, 10, 10, 12], [10, 10, 10, 11]);
    const base = { strategyId: 'buy-and-hold', params: {}, initialCash: 1000, commission: 0 };
    expect((await runBacktest(bars, { ...base, sizing: { units: 5 } })).trades[0].size).toBe(5);
    expect((await runBacktest(bars, { ...base, sizing: { units: 5000 } })).trades[0].size).toBe(100);
    const half = await runBacktest(bars, { ...base, sizing: { fraction: 0.25 }, commission: 0.01 });
    expect(half.trades[0].size).toBe(24); // floor(250 / 10.1)
  });

  it('buys fractional units when asked', async () => {
    const bars = daily([10, 10, 10, 12], [10, 10, 10, 11]);
    const r = await runWithTrace(bars, { strategyId: 'buy-and-hold', params: {}, initialCash: 1000, commission: 0, slippageBps: 100, fractional: true });
    expect(r.trades[0].size).toBeCloseTo(1000 / 10.1, 12);
    expect(r.cash[1]).toBeCloseTo(0, 9);
    expect(r.stats.equityFinal).toBeCloseTo((1000 / 10.1) * 11.88, 9);
  });

  it('stays flat when the equity cannot buy one whole unit', async () => {
    const bars = daily([500, 500, 600], [500, 500, 600]);
    const r = await runBacktest(bars, { strategyId: 'buy-and-hold', params: {}, initialCash: 100, commission: 0 });
    expect(r.trades).toEqual([]);
    expect(r.stats.equityFinal).toBe(100);
  });

  it('refuses data too short to trade', async () => {
    await expect(runBacktest(daily([10]), smaSpec())).rejects.toBeInstanceOf(EngineInputError);
    await expect(runBacktest(daily([10, 11, 12]), smaSpec({ params: { fast: 2, slow: 5 } }))).rejects.toThrow(/needs at least 7 bars/);
  });
});
