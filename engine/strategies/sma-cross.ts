import { smaKernel } from '../indicators.ts';
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
  indicators: (p) => [
    { key: `sma:${p.fast}`, make: (bars) => smaKernel(bars.close, p.fast as number) },
    { key: `sma:${p.slow}`, make: (bars) => smaKernel(bars.close, p.slow as number) },
  ],
  signals: (_bars, ind, p, out) => crossSignals(ind[0][0], ind[1][0], p.allowShort as boolean, out),
  direct: (bars, p, exec) => smaCrossDirect(bars, p.fast as number, p.slow as number, p.allowShort as boolean, exec),
};
