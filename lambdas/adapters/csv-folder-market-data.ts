import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { sliceByTime } from '../../engine/bars.ts';
import { parseCsv } from '../../engine/csv.ts';
import { UnknownSymbolError } from '../../engine/errors.ts';
import type { BarSeries, Timeframe } from '../../engine/types.ts';
import type { MarketData } from '../core/ports/market-data.ts';
import { assertSymbolAndTimeframe } from './market-data-symbol.ts';
import { SeriesCache } from './series-cache.ts';

export interface CsvFolderMarketDataProps {
  /** Folder of `<SYMBOL>-<timeframe>.csv` files (DATA_DIR locally). */
  dir: string;
  cache?: SeriesCache;
}

/** Market data from a local folder of CSV files, for the local stack (`DATA_DIR`). */
export class CsvFolderMarketData implements MarketData {
  readonly #dir: string;
  readonly #cache: SeriesCache;

  constructor(props: CsvFolderMarketDataProps) {
    this.#dir = resolve(props.dir);
    this.#cache = props.cache ?? new SeriesCache();
  }

  async load(symbol: string, timeframe: Timeframe, startMs?: number, endMs?: number): Promise<BarSeries> {
    assertSymbolAndTimeframe(symbol, timeframe);
    const series = await this.#cache.get(`${symbol.toUpperCase()}/${timeframe}`, () => this.#read(symbol, timeframe));
    return sliceByTime(series, startMs, endMs);
  }

  async #read(symbol: string, timeframe: Timeframe): Promise<BarSeries> {
    // The exact spelling first, then upper case (files are named like ORCL-1d.csv, users may type orcl).
    for (const name of new Set([`${symbol}-${timeframe}.csv`, `${symbol.toUpperCase()}-${timeframe}.csv`])) {
      const path = join(this.#dir, name);
      if (!path.startsWith(this.#dir + sep)) continue;
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      return parseCsv(text, { source: name });
    }
    throw new UnknownSymbolError(symbol, `no file ${symbol.toUpperCase()}-${timeframe}.csv in the data folder`);
  }
}
