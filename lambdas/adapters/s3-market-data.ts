import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { sliceByTime } from '../../engine/bars.ts';
import { parseCsv } from '../../engine/csv.ts';
import { UnknownSymbolError } from '../../engine/errors.ts';
import type { BarSeries, Timeframe } from '../../engine/types.ts';
import type { MarketData } from '../core/ports/market-data.ts';
import { assertSymbolAndTimeframe } from './market-data-symbol.ts';
import { SeriesCache } from './series-cache.ts';

export interface S3MarketDataProps {
  client: S3Client;
  /** MARKET_DATA_BUCKET: objects at `<SYMBOL>/<timeframe>.csv`, symbol in upper case. */
  bucket: string;
  cache?: SeriesCache;
}

/** The S3 object key of a symbol's CSV: `<SYMBOL>/<timeframe>.csv` (e.g. `ORCL/1d.csv`). */
export function marketDataKey(symbol: string, timeframe: Timeframe): string {
  return `${symbol.toUpperCase()}/${timeframe}.csv`;
}

/** Market data from the stack's S3 bucket (the worker on AWS). */
export class S3MarketData implements MarketData {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #cache: SeriesCache;

  constructor(props: S3MarketDataProps) {
    this.#client = props.client;
    this.#bucket = props.bucket;
    this.#cache = props.cache ?? new SeriesCache();
  }

  async load(symbol: string, timeframe: Timeframe, startMs?: number, endMs?: number): Promise<BarSeries> {
    assertSymbolAndTimeframe(symbol, timeframe);
    const key = marketDataKey(symbol, timeframe);
    const series = await this.#cache.get(key, () => this.#read(symbol, key));
    return sliceByTime(series, startMs, endMs);
  }

  async #read(symbol: string, key: string): Promise<BarSeries> {
    try {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      const text = (await object.Body?.transformToString('utf-8')) ?? '';
      return parseCsv(text, { source: `s3://${this.#bucket}/${key}` });
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
        throw new UnknownSymbolError(symbol, `no object ${key} in the market-data bucket`);
      }
      throw error;
    }
  }
}
