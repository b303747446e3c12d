import type { Timeframe } from '../../../engine/types.ts';

/** One data set the service can run on: a symbol at one bar size. */
export interface SymbolEntry {
  /** As the data is named (upper case for files and objects named that way). */
  symbol: string;
  timeframe: Timeframe;
  /** Epoch ms of the first and last bar. */
  firstBarMs: number;
  lastBarMs: number;
  bars: number;
  source: 'csv' | 's3';
}

/**
 * What market data exists, without loading it for a backtest: GET /symbols lists it and submit checks a request
 * against it, so an unknown symbol or a date range outside the data is refused at once instead of failing in the
 * worker. Synthetic `SYNTH-*` symbols are not listed (any name under the prefix exists). Implementations cache:
 * submit calls `list` on every request.
 */
export interface SymbolCatalog {
  /** Every real data set, sorted by symbol then timeframe. */
  list(): Promise<SymbolEntry[]>;
}
