import { bollingerKernel } from '../indicators.ts';
import { EXIT_LONG, EXIT_SHORT, LONG, NONE, SHORT, allowShortParam, periodParam, schemaFor, type ParamRule, type StrategyDefinition } from './strategy.ts';

const params = {
  period: periodParam(20, 'SMA period of the middle band', 2),
  k: { type: 'number', default: 2, min: 0.1, max: 10, description: 'band width in population standard deviations' },
  allowShort: allowShortParam,
} as const;

export const bollingerReversion: StrategyDefinition = {
  id: 'bollinger-reversion',
  description:
    'Mean reversion on Bollinger bands: long when the close is below the lower band, closed when the close is above ' +
    'the middle band. allowShort: also short when the close is above the upper band, covered below the middle band.',
  params,
  rules: [],
  schema: schemaFor(params),
  warmup: (p) => (p.period as number) - 1,
  indicators: (p) => [
    { key: `bb:${p.period}:${p.k}`, make: (bars) => bollingerKernel(bars.close, p.period as number, p.k as number) },
  ],
  signals: (bars, ind, p, out) => {
    const [mid, upper, lower] = ind[0];
    const close = bars.close;
    const allowShort = p.allowShort as boolean;
    return (from, to) => {
      for (let t = from; t < to; t++) {
        const c = close[t];
        let code = NONE;
        if (c < lower[t]) code = LONG;
        else if (allowShort && c > upper[t]) code = SHORT;
        else if (c > mid[t]) code = EXIT_LONG;
        else if (c < mid[t]) code = EXIT_SHORT;
        out[t] = code;
      }
    };
  },
};
