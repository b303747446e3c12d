import { describe, expect, it } from 'vitest';
import { runBacktest, syntheticSeries } from '../../engine/index.ts';
import type { BacktestSpec } from '../../engine/types.ts';

const bars = syntheticSeries('SYNTH-GRID', '1d', Date.UTC(2010, 0, 1), Date.UTC(2016, 0, 1));
const spec: BacktestSpec = {
  strategyId: 'sma-cross',
  params: { fast: [5, 10, 40], slow: { from: 10, to: 50, step: 20 } },
  initialCash: 10_000,
  commission: 0.001,
  sweep: { top: 2 },
};

describe('sweep grid', () => {
  it("holds every combination's metric row-major, null where fast >= slow skipped it", async () => {
    const r = await runBacktest(bars, spec);
    const grid = r.sweep!.grid!;
    expect(grid.params).toEqual(['fast', 'slow']);
    expect(grid.values).toEqual({ fast: [5, 10, 40], slow: [10, 30, 50] });
    expect(grid.metric).toHaveLength(9);
    // Skipped: (10,10), (40,10), (40,30); every other cell is that combination's sharpe, run alone.
    expect([grid.metric[3], grid.metric[6], grid.metric[7]]).toEqual([null, null, null]);
    for (const [i, fast] of [5, 10, 40].entries()) {
      for (const [j, slow] of [10, 30, 50].entries()) {
        if (fast >= slow) continue;
        const alone = await runBacktest(bars, { ...spec, params: { fast, slow } });
        expect(grid.metric[i * 3 + j], `${fast}/${slow}`).toBe(Number(alone.stats.sharpe.toPrecision(6)));
      }
    }
    // Only the top 2 rows are kept, but the grid has all 6 evaluated cells.
    expect(r.sweep!.top).toHaveLength(2);
    expect(grid.metric.filter((v) => v !== null)).toHaveLength(6);
    expect(Math.max(...(grid.metric.filter((v) => v !== null) as number[]))).toBe(Number(r.sweep!.top[0].stats.sharpe.toPrecision(6)));
  });

  it('uses the chosen metric and has no grid unless exactly two parameters vary', async () => {
    const byReturn = await runBacktest(bars, { ...spec, sweep: { metric: 'returnPct' } });
    const best = byReturn.sweep!.top[0];
    const gi = [5, 10, 40].indexOf(best.params.fast as number) * 3 + [10, 30, 50].indexOf(best.params.slow as number);
    expect(byReturn.sweep!.grid!.metric[gi]).toBe(Number(best.stats.returnPct.toPrecision(6)));

    const one = await runBacktest(bars, { ...spec, params: { fast: [5, 10], slow: 50 } });
    expect(one.sweep!.grid).toBeUndefined();
    // A one-value list does not vary: still a one-parameter sweep.
    const oneList = await runBacktest(bars, { ...spec, params: { fast: [5, 10], slow: [50] } });
    expect(oneList.sweep!.grid).toBeUndefined();
    const three = await runBacktest(bars, { ...spec, strategyId: 'macd-cross', params: { fast: [8, 12], slow: [26, 30], signal: [5, 9] } });
    expect(three.sweep!.grid).toBeUndefined();
    const single = await runBacktest(bars, { ...spec, params: { fast: 10, slow: 30 } });
    expect(single.sweep).toBeUndefined();
  });
});
