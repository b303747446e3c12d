import { emaKernel } from '../indicators.ts';
import { emaCrossDirect } from './ema-cross-kernel.ts';
import { allowShortParam, crossSignals, periodParam, schemaFor, type ParamRule, type StrategyDefinition } from './strategy.ts';

const params = {
  fast: periodParam(12, 'fast EMA period'),
  slow: periodParam(26, 'slow EMA period, greater than fast', 2),
  allowShort: allowShortParam,
};

const rules: ParamRule[] = [
  { check: (p) => (p.fast as number) < (p.slow as number), message: 'fast must be less than slow', path: 'fast' },
];

export const emaCross: StrategyDefinition = {
  id: 'ema-cross',
  description: 'Fast EMA crossing the slow EMA, same entry/exit rules as sma-cross.',
  params,
  rules,
  schema: schemaFor(params, rules),
  warmup: (p) => p.slow as number,
  indicators: (p) => [
    { key: `ema:${p.fast}`, make: (bars) => emaKernel(bars.close, p.fast as number) },
    { key: `ema:${p.slow}`, make: (bars) => emaKernel(bars.close, p.slow as number) },
  ],
  signals: (_bars, ind, p, out) => crossSignals(ind[0][0], ind[1][0], p.allowShort as boolean, out),
  direct: (bars, p, exec) => emaCrossDirect(bars, p.fast as number, p.slow as number, p.allowShort as boolean, exec),
};
