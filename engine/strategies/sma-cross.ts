import { smaKernel, tickSumKernel } from '../indicators.ts';
import { closePrecisionOf } from '../precision.ts';
import type { BarSeries } from '../types.ts';
import { exactAverages, exactCrossSignals, exactSmaCross } from './exact-cross.ts';
import { smaCrossDirect } from './sma-cross-kernel.ts';
import { allowShortParam, crossSignals, periodParam, schemaFor, type ParamRule, type StrategyDefinition } from './strategy.ts';

const params = {
  fast: periodParam(10, 'fast SMA period; 1 means the close itself (price crossing its SMA)'),
  slow: periodParam(30, 'slow SMA period, greater than fast', 2),
  allowShort: allowShortParam,
};

const rules: ParamRule[] = [
  { check: (p) => (p.fast as number) < (p.slow as number), message: 'fast must be less than slow', path: 'fast' },
];

export const smaCross: StrategyDefinition = {
  id: 'sma-cross',
  description:
    'Fast SMA crossing the slow SMA (strict cross). Long-only: buy on an up-cross when flat, close on a down-cross. ' +
    'allowShort: always in the market, reversing on every cross.',
  params,
  rules,
  schema: schemaFor(params, rules),
  warmup: (p) => p.slow as number,
  // On decimal data the strategy decides each cross exactly (docs/engine.md, "Numerics"): on the averages themselves
  // when they provably keep exact order (nearly always), else on exact tick sums; otherwise it compares the
  // (Neumaier-compensated) averages.
  indicators: (p, bars) => {
    const [fast, slow] = [p.fast as number, p.slow as number];
    if (exactSmaCross(bars, slow) && !exactAverages(bars, fast, slow)) {
      const scale = closePrecisionOf(bars)!.scale;
      return [fast, slow].map((n) => ({ key: `ticksum:${n}`, make: (b: BarSeries) => tickSumKernel(b.close, n, scale) }));
    }
    return [fast, slow].map((n) => ({ key: `sma:${n}`, make: (b: BarSeries) => smaKernel(b.close, n, closePrecisionOf(b)) }));
  },
  signals: (bars, ind, p, out) => {
    const [fast, slow] = [p.fast as number, p.slow as number];
    const allowShort = p.allowShort as boolean;
    return exactSmaCross(bars, slow) && !exactAverages(bars, fast, slow)
      ? exactCrossSignals(ind[0][0], fast, ind[1][0], slow, allowShort, out)
      : crossSignals(ind[0][0], ind[1][0], allowShort, out);
  },
  direct: (bars, p, exec) => smaCrossDirect(bars, p.fast as number, p.slow as number, p.allowShort as boolean, exec),
};
