import { sliceByTime, UnknownSymbolError } from '../../../engine/index.ts';
import type { BarSeries, Timeframe } from '../../../engine/types.ts';
import type { MarketData } from '../../../lambdas/core/ports/market-data.ts';

/**
 * Market data from series handed in by the test (built with the engine's syntheticSeries or parseCsv).
 * `failLoads` makes the next loads fail like an S3 outage (a retryable error), `loads` counts calls.
 */
export class InMemoryMarketData implements MarketData {
  readonly #series = new Map<string, BarSeries>();
  failLoads = 0;
  loads = 0;

  add(symbol: string, timeframe: Timeframe, series: BarSeries): this {
    this.#series.set(`${symbol}|${timeframe}`, series);
    return this;
  }

  async load(symbol: string, timeframe: Timeframe, startMs?: number, endMs?: number): Promise<BarSeries> {
    this.loads += 1;
    if (this.failLoads > 0) {
      this.failLoads -= 1;
      throw new Error('market data store unavailable');
    }
    const series = this.#series.get(`${symbol}|${timeframe}`);
    if (!series) throw new UnknownSymbolError(symbol, `no ${timeframe} data in this test`);
    return sliceByTime(series, startMs, endMs);
  }
}
