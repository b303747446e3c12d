import { describe, expect, it } from 'vitest';
import { runBacktest, syntheticSeries } from '../../engine/index.ts';
import { releaseTradeLog, takeTradeLog } from '../../engine/trade-log.ts';
import type { BacktestSpec } from '../../engine/types.ts';

// Runs reuse finished runs' trade logs (engine/trade-log.ts): a log must never be shared by two runs at once, and a
// reused one must start empty.
const bars = syntheticSeries('SYNTH-TRADELOG', '1h', Date.UTC(2020, 0, 1), Date.UTC(2021, 0, 1));
const a: BacktestSpec = { strategyId: 'sma-cross', params: { fast: 3, slow: 12 }, initialCash: 10_000, commission: 0.001 };
const b: BacktestSpec = { strategyId: 'ema-cross', params: { fast: 5, slow: 40, allowShort: true }, initialCash: 5_000, commission: 0 };

describe('trade log reuse', () => {
  it('gives concurrent runs their own logs and later runs empty ones', async () => {
    const aloneA = await runBacktest(bars, a);
    const aloneB = await runBacktest(bars, b);
    expect(aloneA.trades).not.toEqual(aloneB.trades);
    // Interleaved: both runs yield many times (progress callbacks), so each one's fills land between the other's.
    const [withA, withB] = await Promise.all([runBacktest(bars, a, { onProgress: () => {} }), runBacktest(bars, b, { onProgress: () => {} })]);
    expect(withA).toEqual(aloneA);
    expect(withB).toEqual(aloneB);
    expect(await runBacktest(bars, a)).toEqual(aloneA);
  });

  it('hands out a cleared log and never the same log twice', () => {
    takeTradeLog(); // empties the spare list (two at most), so the next release is the next take
    takeTradeLog();
    const first = takeTradeLog();
    first.push(1, 2, 0, 1, 10, 11, 2);
    releaseTradeLog(first);
    releaseTradeLog(first);
    const again = takeTradeLog();
    expect(again).toBe(first);
    expect(again.count).toBe(0);
    expect(takeTradeLog()).not.toBe(first);
  });
});
