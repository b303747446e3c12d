import { donchianKernel } from '../indicators.ts';
import { FLAT, LONG, NONE, SHORT, allowShortParam, periodParam, schemaFor, type ParamRule, type StrategyDefinition } from './strategy.ts';

const params = {
  period: periodParam(20, 'channel length in bars (the bars before the signal bar)'),
  allowShort: allowShortParam,
};

export const donchianBreakout: StrategyDefinition = {
  id: 'donchian-breakout',
  description:
    'Channel breakout: long when the close exceeds the highest high of the previous `period` bars; when it falls ' +
    'below their lowest low, close the long (allowShort: go short).',
  params,
  rules: [],
  schema: schemaFor(params),
  warmup: (p) => p.period as number,
  indicators: (p) => [
    { key: `donchian:${p.period}`, make: (bars) => donchianKernel(bars.high, bars.low, p.period as number) },
  ],
  signals: (bars, ind, p, out) => {
    const [upper, lower] = ind[0];
    const close = bars.close;
    const down = p.allowShort ? SHORT : FLAT;
    return (from, to) => {
      if (from === 0) out[0] = NONE;
      for (let t = from === 0 ? 1 : from; t < to; t++) {
        const c = close[t];
        out[t] = c > upper[t - 1] ? LONG : c < lower[t - 1] ? down : NONE;
      }
    };
  },
};
