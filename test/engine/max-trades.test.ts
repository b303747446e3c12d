import { describe, expect, it } from 'vitest';
import { EngineInputError, runBacktest, runSweepWinner, syntheticSeries } from '../../engine/index.ts';
import type { BacktestSpec } from '../../engine/types.ts';

// RunOptions.maxTrades: the worker builds only the trades it stores; everything else must be what a full run gives.
const bars = syntheticSeries('SYNTH-MAXTRADES', '1h', Date.UTC(2020, 0, 1), Date.UTC(2021, 0, 1));
const single: BacktestSpec = { strategyId: 'sma-cross', params: { fast: 3, slow: 12, allowShort: true }, initialCash: 10_000, commission: 0.001 };
const sweep: BacktestSpec = { ...single, params: { fast: [2, 3, 5], slow: [8, 12], allowShort: true } };

describe('maxTrades', () => {
  it('keeps the first N trades and the same stats, curve and total as the full list', async () => {
    const full = await runBacktest(bars, single);
    expect(full.trades.length).toBeGreaterThan(100);
    expect(full.tradesTotal).toBe(full.trades.length);
    expect(full.stats.trades).toBe(full.trades.length);
    for (const max of [0, 1, 37, full.trades.length, full.trades.length + 5]) {
      const capped = await runBacktest(bars, single, { maxTrades: max });
      expect(capped.trades).toEqual(full.trades.slice(0, max));
      expect(capped.tradesTotal).toBe(full.trades.length);
      expect(capped.stats).toEqual(full.stats);
      expect(capped.equityCurve).toEqual(full.equityCurve);
    }
  });

  it('caps a sweep winner the same way, with the sweep itself unchanged', async () => {
    const full = await runBacktest(bars, sweep);
    const capped = await runBacktest(bars, sweep, { maxTrades: 10 });
    expect(capped.trades).toEqual(full.trades.slice(0, 10));
    expect(capped.tradesTotal).toBe(full.trades.length);
    expect(capped.stats).toEqual(full.stats);
    expect(capped.sweep).toEqual(full.sweep);
    const winner = await runSweepWinner(bars, sweep, full.params, { maxTrades: 10 });
    expect(winner.trades).toEqual(full.trades.slice(0, 10));
    expect(winner.tradesTotal).toBe(full.tradesTotal);
  });

  it('refuses a negative or fractional cap naming the option', async () => {
    for (const max of [-1, 1.5, Number.NaN]) {
      const error = await runBacktest(bars, single, { maxTrades: max }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineInputError);
      expect((error as EngineInputError).issues[0].path).toBe('maxTrades');
    }
  });
});
