import { describe, expect, it } from 'vitest';
import { EngineInputError, UnknownSymbolError, type Timeframe } from '../../engine/index.ts';
import type { MarketData } from '../../lambdas/core/ports/market-data.ts';

export interface MarketDataCase {
  /** A symbol the source has, with a range inside its data. */
  known: { symbol: string; timeframe: Timeframe; startMs: number; endMs: number };
  /** A symbol it does not have. */
  unknown: string;
}

/** What the worker relies on from any MarketData: bars in range, strictly increasing, and UnknownSymbolError. */
export function describeMarketDataContract(name: string, makeSource: () => Promise<MarketData>, c: MarketDataCase): void {
  describe(`MarketData contract: ${name}`, () => {
    it('loads the bars inside the range, strictly increasing in time, with sane prices', async () => {
      const source = await makeSource();
      const { symbol, timeframe, startMs, endMs } = c.known;

      const bars = await source.load(symbol, timeframe, startMs, endMs);

      expect(bars.length).toBeGreaterThan(10);
      expect(bars.time[0]).toBeGreaterThanOrEqual(startMs);
      expect(bars.time[bars.length - 1]).toBeLessThanOrEqual(endMs);
      for (let i = 1; i < bars.length; i++) expect(bars.time[i]).toBeGreaterThan(bars.time[i - 1]);
      for (let i = 0; i < bars.length; i++) {
        expect(bars.high[i]).toBeGreaterThanOrEqual(Math.max(bars.open[i], bars.close[i], bars.low[i]));
        expect(bars.low[i]).toBeGreaterThan(0);
      }
    });

    it('gives the same bars on a second load', async () => {
      const source = await makeSource();
      const { symbol, timeframe, startMs, endMs } = c.known;

      const first = await source.load(symbol, timeframe, startMs, endMs);
      const second = await source.load(symbol, timeframe, startMs, endMs);

      expect(Array.from(second.close)).toEqual(Array.from(first.close));
    });

    it('throws UnknownSymbolError for a symbol it does not have, and for a path-like one', async () => {
      const source = await makeSource();

      await expect(source.load(c.unknown, c.known.timeframe)).rejects.toBeInstanceOf(UnknownSymbolError);
      await expect(source.load('../../etc/passwd', c.known.timeframe)).rejects.toBeInstanceOf(UnknownSymbolError);
    });

    it('refuses an unknown timeframe as an input error', async () => {
      const source = await makeSource();

      await expect(source.load(c.known.symbol, '2h' as Timeframe)).rejects.toBeInstanceOf(EngineInputError);
    });
  });
}
