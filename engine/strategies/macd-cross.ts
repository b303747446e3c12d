import { macdKernel } from '../indicators.ts';
import { macdCrossDirect } from './macd-cross-kernel.ts';
import { allowShortParam, crossSignals, periodParam, schemaFor, type ParamRule, type StrategyDefinition } from './strategy.ts';

const params = {
  fast: periodParam(12, 'fast EMA period of the MACD line'),
  slow: periodParam(26, 'slow EMA period of the MACD line, greater than fast', 2),
  signal: periodParam(9, 'EMA period of the signal line'),
  allowShort: allowShortParam,
};

const rules: ParamRule[] = [
  { check: (p) => (p.fast as number) < (p.slow as number), message: 'fast must be less than slow', path: 'fast' },
];

export const macdCross: StrategyDefinition = {
  id: 'macd-cross',
  description: 'MACD line crossing its signal line (strict cross), same entry/exit rules as sma-cross.',
  params,
  rules,
  schema: schemaFor(params, rules),
  warmup: (p) => (p.slow as number) + (p.signal as number) - 1,
  indicators: (p) => [
    {
      key: `macd:${p.fast}:${p.slow}:${p.signal}`,
      make: (bars) => macdKernel(bars.close, p.fast as number, p.slow as number, p.signal as number),
    },
  ],
  signals: (_bars, ind, p, out) => crossSignals(ind[0][0], ind[0][1], p.allowShort as boolean, out),
  direct: (bars, p, exec) => macdCrossDirect(bars, p.fast as number, p.slow as number, p.signal as number, p.allowShort as boolean, exec),
};
