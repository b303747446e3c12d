import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parseCsv } from '../../engine/csv.ts';
import { TIMEFRAMES, type Timeframe } from '../../engine/types.ts';
import type { SymbolCatalog, SymbolEntry } from '../core/ports/symbol-catalog.ts';
import { SYMBOL_PATTERN } from './market-data-symbol.ts';

/** `<SYMBOL>/<timeframe>.csv`, as S3MarketData reads them (marketDataKey). */
const KEY = new RegExp(`^([^/]+)/(${TIMEFRAMES.join('|')})\\.csv$`);

/**
 * The data sets in the market-data bucket: one ListObjectsV2 walk, and each object read once per ETag to learn its
 * first and last bar (the bucket holds a few dozen CSVs; a changed upload has a new ETag and is read again). An
 * object the engine cannot parse is left out.
 */
export class S3SymbolCatalog implements SymbolCatalog {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #summaries = new Map<string, { etag: string; entry: SymbolEntry | undefined }>();

  constructor(props: { client: S3Client; bucket: string }) {
    this.#client = props.client;
    this.#bucket = props.bucket;
  }

  async list(): Promise<SymbolEntry[]> {
    const objects: { key: string; etag: string; symbol: string; timeframe: Timeframe }[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, ...(token ? { ContinuationToken: token } : {}) }));
      for (const object of page.Contents ?? []) {
        const match = object.Key ? KEY.exec(object.Key) : null;
        if (!match || !SYMBOL_PATTERN.test(match[1])) continue;
        objects.push({ key: object.Key!, etag: object.ETag ?? '', symbol: match[1], timeframe: match[2] as Timeframe });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    const entries: SymbolEntry[] = [];
    // A few reads at a time: a cold start reads every object once.
    for (let i = 0; i < objects.length; i += 8) {
      const batch = await Promise.all(objects.slice(i, i + 8).map((o) => this.#summary(o)));
      for (const entry of batch) if (entry) entries.push(entry);
    }
    return entries.sort((a, b) => (a.symbol === b.symbol ? TIMEFRAMES.indexOf(a.timeframe) - TIMEFRAMES.indexOf(b.timeframe) : a.symbol < b.symbol ? -1 : 1));
  }

  async #summary(o: { key: string; etag: string; symbol: string; timeframe: Timeframe }): Promise<SymbolEntry | undefined> {
    const known = this.#summaries.get(o.key);
    if (known && known.etag === o.etag) return known.entry;
    const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: o.key }));
    const text = (await object.Body?.transformToString('utf-8')) ?? '';
    let entry: SymbolEntry | undefined;
    try {
      const bars = parseCsv(text, { source: `s3://${this.#bucket}/${o.key}` });
      if (bars.length > 0) {
        entry = { symbol: o.symbol, timeframe: o.timeframe, firstBarMs: bars.time[0], lastBarMs: bars.time[bars.length - 1], bars: bars.length, source: 's3' };
      }
    } catch {
      entry = undefined;
    }
    this.#summaries.set(o.key, { etag: o.etag, entry });
    return entry;
  }
}
