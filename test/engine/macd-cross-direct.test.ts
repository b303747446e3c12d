import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, runBacktest, syntheticSeries, type BacktestSpec } from '../../engine/index.ts';

// The one-pass macd-cross (engine/strategies/macd-cross-kernel.ts) that single runs take must make exactly the trades
// and stats of the array path (macdKernel + crossSignals) that sweeps take: a one-combination sweep runs that path.
const nvda = parseCsv(readFileSync(join(import.meta.dirname, '../../examples/data/NVDA-1d.csv'), 'utf8'));
const eurusd = parseCsv(readFileSync(join(import.meta.dirname, '../../examples/data/EURUSD-1h.csv'), 'utf8'));
const minutes = syntheticSeries('SYNTH-MACD', '1m', Date.UTC(2021, 0, 1), Date.UTC(2021, 3, 1));

describe('macd-cross one-pass kernel', () => {
  it.each([
    { name: 'NVDA daily 12/26/9 long-only', bars: nvda, fast: 12, slow: 26, signal: 9, allowShort: false },
    { name: 'NVDA daily 5/35/5 with shorts', bars: nvda, fast: 5, slow: 35, signal: 5, allowShort: true },
    { name: 'synthetic minutes 3/10/2 long-only', bars: minutes, fast: 3, slow: 10, signal: 2, allowShort: false },
    { name: 'synthetic minutes 12/26/9 with shorts', bars: minutes, fast: 12, slow: 26, signal: 9, allowShort: true },
    { name: 'EURUSD hourly 12/26/9 with shorts', bars: eurusd, fast: 12, slow: 26, signal: 9, allowShort: true },
  ])('makes the same trades and stats as the array path: $name', async ({ bars, fast, slow, signal, allowShort }) => {
    const spec: BacktestSpec = { strategyId: 'macd-cross', params: { fast, slow, signal, allowShort }, initialCash: 10_000, commission: 0.001 };

    const single = await runBacktest(bars, spec);
    const viaArrays = await runBacktest(bars, { ...spec, params: { ...spec.params, signal: { from: signal, to: signal, step: 1 } } });

    expect(single.stats.trades).toBeGreaterThan(5);
    expect(single.trades).toEqual(viaArrays.trades);
    expect(single.stats).toEqual(viaArrays.stats);
    expect(single.equityCurve).toEqual(viaArrays.equityCurve);
  });
});
