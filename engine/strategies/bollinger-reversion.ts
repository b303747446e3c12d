import { ABOVE_MIDDLE, ABOVE_UPPER, BELOW_LOWER, BELOW_MIDDLE, bollingerZoneKernel } from '../bollinger.ts';
import { closePrecisionOf } from '../precision.ts';
import { EXIT_LONG, EXIT_SHORT, LONG, NONE, SHORT, allowShortParam, periodParam, schemaFor, type StrategyDefinition } from './strategy.ts';

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
  // The zone of each close (decided exactly on decimal data), not the band values: no square root decides a signal.
  indicators: (p) => [
    {
      key: `bbzone:${p.period}:${p.k}`,
      make: (bars) => bollingerZoneKernel(bars.close, p.period as number, p.k as number, closePrecisionOf(bars)),
    },
  ],
  signals: (_bars, ind, p, out) => {
    const zone = ind[0][0];
    // Below the lower band wins; above the upper band shorts (with allowShort), which also reverses a long at once;
    // else beyond the middle exits the position on the other side. On the middle: nothing. Warm-up (NaN): nothing.
    // One code per zone, looked up in a table: no chain of comparisons per bar (warm-up NaN maps to NONE).
    const codes = new Int8Array(5);
    codes[BELOW_LOWER + 2] = LONG;
    codes[BELOW_MIDDLE + 2] = EXIT_SHORT;
    codes[ABOVE_MIDDLE + 2] = EXIT_LONG;
    codes[ABOVE_UPPER + 2] = p.allowShort ? SHORT : EXIT_LONG;
    return (from, to) => {
      for (let t = from; t < to; t++) {
        const z = zone[t];
        out[t] = z === z ? codes[z + 2] : NONE;
      }
    };
  },
};
