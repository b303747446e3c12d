import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineInputError, UnknownSymbolError } from '../../engine/index.ts';
import { CsvFolderMarketData } from '../../lambdas/adapters/csv-folder-market-data.ts';
import { RoutingMarketData } from '../../lambdas/adapters/routing-market-data.ts';
import { marketDataKey, S3MarketData } from '../../lambdas/adapters/s3-market-data.ts';
import { SeriesCache } from '../../lambdas/adapters/series-cache.ts';
import { SYNTHETIC_DEFAULT_END_MS, SyntheticMarketData } from '../../lambdas/adapters/synthetic-market-data.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';
import { describeMarketDataContract } from './market-data-contract.ts';
import { tempDir } from '../support/temp-dir.ts';
import { describeWithSharedData, SHARED_DATA_DIR } from '../support/shared-data.ts';

const SHARED_DATA = SHARED_DATA_DIR;

const utc = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);

/** A small, made-up daily CSV (Yahoo layout) for the S3 tests: they test the adapter, not the data. */
function tinyCsv(days: number): string {
  const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
  for (let i = 0; i < days; i++) {
    const day = new Date(utc('2020-01-01') + i * 86_400_000).toISOString().slice(0, 10);
    const close = 100 + Math.sin(i / 5) * 10;
    lines.push(`${day},${close - 1},${close + 2},${close - 2},${close},${close},${1000 + i}`);
  }
  return `${lines.join('\n')}\n`;
}

describeWithSharedData('CsvFolderMarketData on ../shared/data', ['ORCL-1d.csv', 'EURUSD-1h.csv'], () => {
  describeMarketDataContract('CsvFolderMarketData', async () => new CsvFolderMarketData({ dir: SHARED_DATA }), {
    known: { symbol: 'ORCL', timeframe: '1d', startMs: utc('2004-01-01'), endMs: utc('2013-12-31') },
    unknown: 'NOPE',
  });

  it('reads Yahoo and pandas layouts, by any letter case, and slices by date', async () => {
    const source = new CsvFolderMarketData({ dir: SHARED_DATA });

    const orcl = await source.load('orcl', '1d');
    const eurusd = await source.load('EURUSD', '1h', utc('2017-06-01'), utc('2017-06-02'));

    expect(new Date(orcl.time[0]).toISOString()).toBe('1995-01-03T00:00:00.000Z');
    expect(orcl.close[0]).toBeCloseTo(2.117284, 6);
    expect(eurusd.length).toBeGreaterThan(10);
    expect(eurusd.length).toBeLessThanOrEqual(25);
  });

  it('knows only files named <SYMBOL>-<timeframe>.csv', async () => {
    const source = new CsvFolderMarketData({ dir: SHARED_DATA });

    await expect(source.load('ORCL', '1h')).rejects.toBeInstanceOf(UnknownSymbolError);
  });

  it('parses a file once per process', async () => {
    const cache = new SeriesCache();
    const source = new CsvFolderMarketData({ dir: SHARED_DATA, cache });

    const first = await source.load('NVDA', '1d');
    const second = await source.load('NVDA', '1d', utc('2005-01-01'));

    expect(cache.size).toBe(1);
    // Slices are views on the cached columns, not copies.
    expect(second.close.buffer).toBe(first.close.buffer);
  });
});

describe('CsvFolderMarketData on a scratch folder', () => {
  it('reports a malformed file as an input error naming the file, not as an unknown symbol', async () => {
    const dir = tempDir('md-');
    writeFileSync(join(dir, 'BAD-1d.csv'), 'Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,oops\n');
    const source = new CsvFolderMarketData({ dir });

    const attempt = source.load('BAD', '1d');

    await expect(attempt).rejects.toBeInstanceOf(EngineInputError);
    await expect(attempt).rejects.not.toBeInstanceOf(UnknownSymbolError);
    await expect(attempt).rejects.toThrow(/BAD-1d\.csv/);
  });
});

describe('S3MarketData on fauxqs S3', () => {
  let s3: S3Client;
  let bucket: string;
  beforeAll(async () => {
    s3 = new S3Client({ endpoint: emulatorEndpoints().sqsEndpoint, forcePathStyle: true, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    bucket = freshPrefix('md').toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: marketDataKey('acme', '1d'), Body: tinyCsv(120) }));
  });
  afterAll(() => s3?.destroy());

  describeMarketDataContract('S3MarketData', async () => new S3MarketData({ client: s3, bucket }), {
    known: { symbol: 'ACME', timeframe: '1d', startMs: utc('2020-02-01'), endMs: utc('2020-03-31') },
    unknown: 'NOPE',
  });

  it('stores a symbol under <SYMBOL>/<timeframe>.csv', () => {
    expect(marketDataKey('orcl', '1h')).toBe('ORCL/1h.csv');
  });
});

describe('SyntheticMarketData', () => {
  describeMarketDataContract('SyntheticMarketData', async () => new SyntheticMarketData(), {
    known: { symbol: 'SYNTH-DEMO', timeframe: '1h', startMs: utc('2024-01-01'), endMs: utc('2024-03-01') },
    unknown: 'ORCL',
  });

  it('is deterministic across instances, and defaults to a fixed window (reproducible tomorrow)', async () => {
    const a = await new SyntheticMarketData().load('SYNTH-ABC', '1d');
    const b = await new SyntheticMarketData().load('SYNTH-ABC', '1d');
    const other = await new SyntheticMarketData().load('SYNTH-XYZ', '1d');

    expect(Array.from(a.close)).toEqual(Array.from(b.close));
    expect(Array.from(other.close.subarray(0, 10))).not.toEqual(Array.from(a.close.subarray(0, 10)));
    expect(a.time[a.length - 1]).toBeLessThanOrEqual(SYNTHETIC_DEFAULT_END_MS);
    expect(a.length).toBeGreaterThan(2000);
    expect(a.length).toBeLessThan(3000);
  });

  it('with only a start date, covers the default window from there', async () => {
    const bars = await new SyntheticMarketData().load('SYNTH-ABC', '1d', utc('2030-01-01'));

    expect(bars.time[0]).toBeGreaterThanOrEqual(utc('2030-01-01'));
    expect(bars.time[bars.length - 1]).toBeLessThanOrEqual(utc('2030-01-01') + 3652 * 86_400_000);
    expect(bars.length).toBeGreaterThan(2500);
  });

  it('refuses a range too big to hold in a worker, naming the field', async () => {
    const source = new SyntheticMarketData({ maxBars: 100_000 });

    const attempt = source.load('SYNTH-ABC', '1m', utc('2000-01-01'), utc('2020-01-01'));

    await expect(attempt).rejects.toSatisfy((e) => e instanceof EngineInputError && e.issues[0]?.path === 'startDate');
  });
});

describe('RoutingMarketData', () => {
  it('sends SYNTH-* to the generator and the rest to real data', async () => {
    const dir = tempDir('md-');
    writeFileSync(join(dir, 'ACME-1d.csv'), tinyCsv(30));
    const routing = new RoutingMarketData({ synthetic: new SyntheticMarketData(), real: new CsvFolderMarketData({ dir }) });

    const synthetic = await routing.load('synth-demo', '1d', utc('2024-01-01'), utc('2024-02-01'));
    const real = await routing.load('ACME', '1d');

    expect(synthetic.length).toBeGreaterThan(15);
    expect(real.length).toBe(30);
  });

  it('without real data, only synthetic symbols exist', async () => {
    const routing = new RoutingMarketData({ synthetic: new SyntheticMarketData() });

    await expect(routing.load('ORCL', '1d')).rejects.toBeInstanceOf(UnknownSymbolError);
  });
});

describe('SeriesCache', () => {
  it('evicts the least recently used series beyond its bar budget, and forgets failures', async () => {
    const cache = new SeriesCache({ maxBars: 250 });
    const synth = new SyntheticMarketData();
    const load = (symbol: string) => () => synth.load(symbol, '1d', utc('2024-01-01'), utc('2024-05-01'));
    await cache.get('a', load('SYNTH-A'));
    await cache.get('b', load('SYNTH-B'));
    await cache.get('a', load('SYNTH-A'));
    await cache.get('c', load('SYNTH-C'));
    await expect(cache.get('bad', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await Promise.resolve();

    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.has('bad')]).toEqual([true, false, true, false]);
  });
});
