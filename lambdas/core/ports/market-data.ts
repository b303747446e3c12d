import type { BarSeries, Timeframe } from '../../../engine/types.ts';

/**
 * Where bars come from: an S3 bucket on AWS, a folder of CSV files locally, synthetic series for `SYNTH-*`.
 * Implementations throw the engine's UnknownSymbolError for a symbol/timeframe they do not have (never retried).
 */
export interface MarketData {
  load(symbol: string, timeframe: Timeframe, startMs?: number, endMs?: number): Promise<BarSeries>;
}
