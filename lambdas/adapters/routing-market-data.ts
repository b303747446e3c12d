import { UnknownSymbolError } from '../../engine/errors.ts';
import { SYNTHETIC_PREFIX } from '../../engine/synthetic.ts';
import type { BarSeries, Timeframe } from '../../engine/types.ts';
import type { MarketData } from '../core/ports/market-data.ts';

export interface RoutingMarketDataProps {
  /** Serves `SYNTH-*` symbols. */
  synthetic: MarketData;
  /** Serves every other symbol (S3 on AWS, the CSV folder locally); absent = only synthetic symbols exist. */
  real?: MarketData;
}

/** One MarketData for the worker: `SYNTH-*` from the generator, everything else from real data. */
export class RoutingMarketData implements MarketData {
  readonly #synthetic: MarketData;
  readonly #real: MarketData | undefined;

  constructor(props: RoutingMarketDataProps) {
    this.#synthetic = props.synthetic;
    this.#real = props.real;
  }

  load(symbol: string, timeframe: Timeframe, startMs?: number, endMs?: number): Promise<BarSeries> {
    if (symbol.toUpperCase().startsWith(SYNTHETIC_PREFIX)) {
      return this.#synthetic.load(`${SYNTHETIC_PREFIX}${symbol.slice(SYNTHETIC_PREFIX.length)}`, timeframe, startMs, endMs);
    }
    if (!this.#real) {
      return Promise.reject(new UnknownSymbolError(symbol, 'no market data source is configured; only SYNTH-* symbols exist'));
    }
    return this.#real.load(symbol, timeframe, startMs, endMs);
  }
}
