import { rsiKernel } from '../indicators.ts';
import { FLAT, LONG, NONE, SHORT, allowShortParam, periodParam, schemaFor, type ParamRule, type StrategyDefinition } from './strategy.ts';

const params = {
  period: periodParam(14, 'RSI period (Wilder smoothing)'),
  lower: { type: 'number', default: 30, min: 0, max: 100, description: 'oversold level: go long when RSI < lower' },
  upper: { type: 'number', default: 70, min: 0, max: 100, description: 'overbought level: exit (or go short) when RSI > upper' },
  allowShort: allowShortParam,
} as const;

const rules: ParamRule[] = [
  { check: (p) => (p.lower as number) < (p.upper as number), message: 'lower must be less than upper', path: 'lower' },
];

export const rsiReversion: StrategyDefinition = {
  id: 'rsi-reversion',
  description:
    'Mean reversion on RSI levels: long when RSI < lower; when RSI > upper close the long (allowShort: go short). ' +
    'Levels, not crosses: a signal repeats while RSI stays beyond the level, which is a no-op once positioned.',
  params,
  rules,
  schema: schemaFor(params, rules),
  warmup: (p) => p.period as number,
  indicators: (p) => [{ key: `rsi:${p.period}`, make: (bars) => rsiKernel(bars.close, p.period as number) }],
  signals: (_bars, ind, p, out) => {
    const rsi = ind[0][0];
    const lower = p.lower as number;
    const upper = p.upper as number;
    const high = p.allowShort ? SHORT : FLAT;
    return (from, to) => {
      for (let t = from; t < to; t++) {
        const r = rsi[t];
        out[t] = r < lower ? LONG : r > upper ? high : NONE;
      }
    };
  },
};
