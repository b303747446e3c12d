import { describe, expect, it } from 'vitest';
import { runBacktest, syntheticSeries } from '../../engine/index.ts';
import type { BacktestSpec } from '../../engine/types.ts';

const bars = syntheticSeries('SYNTH-SWEEP', '1h', Date.UTC(2020, 0, 1), Date.UTC(2022, 0, 1));
const spec: BacktestSpec = {
  strategyId: 'sma-cross',
  params: { fast: [2, 5, 10, 40], slow: { from: 10, to: 50, step: 20 } },
  initialCash: 10_000,
  commission: 0.0005,
};

describe('parameter sweeps', () => {
  it('runs the valid grid, ranks by sharpe (NaN last) and returns the best with its trades', async () => {
    const r = await runBacktest(bars, { ...spec, sweep: { top: 50 } });
    // 4 x 3 grid minus fast >= slow: (10,10), (40,10), (40,30) -> 9 combinations.
    expect(r.sweep!.combinations).toBe(9);
    expect(r.sweep!.metric).toBe('sharpe');
    const sharpe = r.sweep!.top.map((row) => row.stats.sharpe);
    const finite = sharpe.filter((s) => !Number.isNaN(s));
    expect(finite).toEqual([...finite].sort((a, b) => b - a));
    expect(sharpe.slice(finite.length).every(Number.isNaN)).toBe(true);
    expect(r.params).toEqual(r.sweep!.top[0].params);
    expect(r.stats).toEqual(r.sweep!.top[0].stats);
    expect(r.trades.length).toBe(r.stats.trades);
  });

  it('gives every combination the same stats as running it alone (cached indicators are the right ones)', async () => {
    const r = await runBacktest(bars, { ...spec, sweep: { top: 50, metric: 'returnPct' } });
    for (const row of r.sweep!.top) {
      const alone = await runBacktest(bars, { ...spec, params: row.params });
      expect(alone.stats, JSON.stringify(row.params)).toEqual(row.stats);
    }
  });

  it('keeps the top N and ranks lower-is-better metrics ascending', async () => {
    const r = await runBacktest(bars, { ...spec, sweep: { top: 3, metric: 'maxDrawdownDurationDays' } });
    expect(r.sweep!.top).toHaveLength(3);
    const d = r.sweep!.top.map((row) => row.stats.maxDrawdownDurationDays);
    expect(d).toEqual([...d].sort((a, b) => a - b));
  });

  it('sweeps any numeric parameter, including fractional ones', async () => {
    const r = await runBacktest(bars, { ...spec, strategyId: 'bollinger-reversion', params: { period: 20, k: { from: 1.5, to: 2.5, step: 0.5 } } });
    expect(r.sweep!.top.map((row) => row.params.k).sort()).toEqual([1.5, 2, 2.5]);
  });
});
