import { LONG, NONE, schemaFor, type StrategyDefinition } from './strategy.ts';

/** Goes long on the first bar's close (filled at the second bar's open) and holds to the end. */
export const buyAndHold: StrategyDefinition = {
  id: 'buy-and-hold',
  description: 'Buy at the second bar\'s open (signal on the first close) and hold until the last close.',
  params: {},
  rules: [],
  schema: schemaFor({}),
  warmup: () => 0,
  indicators: () => [],
  signals: (_bars, _ind, _p, out) => (from, to) => {
    for (let t = from; t < to; t++) out[t] = t === 0 ? LONG : NONE;
  },
};
