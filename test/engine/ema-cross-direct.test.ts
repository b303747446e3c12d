import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, runBacktest, syntheticSeries, type BacktestSpec, type BarSeries } from '../../engine/index.ts';

// The one-pass ema-cross (engine/strategies/ema-cross-kernel.ts) that single runs take must make exactly the trades
// and stats of the indicator-and-signal array path that sweeps take: a one-combination sweep runs the array path.
const orcl = parseCsv(readFileSync(join(import.meta.dirname, '../../examples/data/ORCL-1d.csv'), 'utf8'));
const eurusd = parseCsv(readFileSync(join(import.meta.dirname, '../../examples/data/EURUSD-1h.csv'), 'utf8'));
const minutes = syntheticSeries('SYNTH-EMA', '1m', Date.UTC(2021, 0, 1), Date.UTC(2021, 3, 1));

async function bothPaths(bars: BarSeries, spec: BacktestSpec) {
  const single = await runBacktest(bars, spec);
  const { fast, slow } = spec.params as { fast: number; slow: number };
  const viaArrays = await runBacktest(bars, { ...spec, params: { ...spec.params, fast: { from: fast, to: fast, step: 1 }, slow } });
  return { single, viaArrays };
}

describe('ema-cross one-pass kernel', () => {
  it.each([
    { name: 'ORCL daily 12/26 long-only', bars: orcl, fast: 12, slow: 26, allowShort: false },
    { name: 'ORCL daily 5/50 with shorts', bars: orcl, fast: 5, slow: 50, allowShort: true },
    { name: 'synthetic minutes 3/7 long-only', bars: minutes, fast: 3, slow: 7, allowShort: false },
    { name: 'synthetic minutes 20/100 with shorts', bars: minutes, fast: 20, slow: 100, allowShort: true },
    { name: 'EURUSD hourly 12/26 with shorts', bars: eurusd, fast: 12, slow: 26, allowShort: true },
  ])('makes the same trades and stats as the array path: $name', async ({ bars, fast, slow, allowShort }) => {
    const spec: BacktestSpec = { strategyId: 'ema-cross', params: { fast, slow, allowShort }, initialCash: 10_000, commission: 0.001 };

    const { single, viaArrays } = await bothPaths(bars, spec);

    expect(single.stats.trades).toBeGreaterThan(5);
    expect(single.trades).toEqual(viaArrays.trades);
    expect(single.stats).toEqual(viaArrays.stats);
    expect(single.equityCurve).toEqual(viaArrays.equityCurve);
  });
});
