import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedSymbolCatalog } from '../../lambdas/adapters/cached-symbol-catalog.ts';
import { CsvFolderSymbolCatalog } from '../../lambdas/adapters/csv-folder-symbol-catalog.ts';
import { S3SymbolCatalog } from '../../lambdas/adapters/s3-symbol-catalog.ts';
import { InMemorySymbolCatalog } from '../support/fakes/index.ts';

const DAILY = 'Date,Open,High,Low,Close,Adj Close,Volume\n2004-01-02,1,2,0.5,1.5,1.5,100\n2004-01-05,1.5,2,1,1.8,1.8,100\n2004-01-06,1.8,2,1,1.9,1.9,100\n';
const HOURLY = ',Open,High,Low,Close,Volume\n2017-04-19 09:00:00,1.07,1.08,1.06,1.07,10\n2017-04-19 10:00:00,1.07,1.08,1.06,1.075,10\n';
const entry = (symbol: string, timeframe: '1d' | '1h', first: string, last: string, bars: number, source: 'csv' | 's3') => ({
  symbol, timeframe, firstBarMs: Date.parse(first), lastBarMs: Date.parse(last), bars, source,
});

describe('CsvFolderSymbolCatalog', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'symbols-'));
    writeFileSync(join(dir, 'ORCL-1d.csv'), DAILY);
    writeFileSync(join(dir, 'EURUSD-1h.csv'), HOURLY);
    writeFileSync(join(dir, 'BROKEN-1d.csv'), 'not,a,price\nfile\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    writeFileSync(join(dir, 'ORCL-2h.csv'), DAILY); // not a timeframe
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists each <SYMBOL>-<timeframe>.csv the engine can parse, with its first and last bar and bar count', async () => {
    const entries = await new CsvFolderSymbolCatalog({ dir }).list();
    expect(entries).toEqual([
      entry('EURUSD', '1h', '2017-04-19T09:00:00Z', '2017-04-19T10:00:00Z', 2, 'csv'),
      entry('ORCL', '1d', '2004-01-02T00:00:00Z', '2004-01-06T00:00:00Z', 3, 'csv'),
    ]);
  });

  it('sees a changed file again and treats a missing folder as no data', async () => {
    const catalog = new CsvFolderSymbolCatalog({ dir });
    await catalog.list();
    writeFileSync(join(dir, 'ORCL-1d.csv'), `${DAILY}2004-01-07,1.9,2,1,2.1,2.1,100\n`);
    expect((await catalog.list()).find((e) => e.symbol === 'ORCL')?.bars).toBe(4);
    expect(await new CsvFolderSymbolCatalog({ dir: join(dir, 'absent') }).list()).toEqual([]);
  });

  it('lists the example data shipped with the repository', async () => {
    const entries = await new CsvFolderSymbolCatalog({ dir: join(import.meta.dirname, '..', '..', 'examples', 'data') }).list();
    expect(entries.map((e) => `${e.symbol}/${e.timeframe}`)).toEqual(['EURUSD/1h', 'NVDA/1d', 'ORCL/1d', 'YHOO/1d']);
    expect(entries.every((e) => e.bars > 1000 && e.firstBarMs < e.lastBarMs)).toBe(true);
  });
});

describe('S3SymbolCatalog', () => {
  // The adapter reads the body with transformToString only, as the SDK's stream mixin provides it.
  const body = (text: string) => ({ transformToString: async () => text }) as never;

  it('walks every listing page, reads each object once per ETag, and skips keys that are not <SYMBOL>/<timeframe>.csv', async () => {
    const s3 = mockClient(S3Client);
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({ IsTruncated: true, NextContinuationToken: 'p2', Contents: [{ Key: 'ORCL/1d.csv', ETag: '"a"' }, { Key: 'README.md', ETag: '"r"' }] })
      .on(ListObjectsV2Command, { ContinuationToken: 'p2' })
      .resolves({ IsTruncated: false, Contents: [{ Key: 'EURUSD/1h.csv', ETag: '"b"' }, { Key: 'x/y/1d.csv', ETag: '"c"' }] });
    s3.on(GetObjectCommand, { Key: 'ORCL/1d.csv' }).callsFake(() => ({ Body: body(DAILY) }));
    s3.on(GetObjectCommand, { Key: 'EURUSD/1h.csv' }).callsFake(() => ({ Body: body(HOURLY) }));
    const catalog = new S3SymbolCatalog({ client: new S3Client({ region: 'us-east-1' }), bucket: 'data' });

    const entries = await catalog.list();
    await catalog.list();

    expect(entries).toEqual([
      entry('EURUSD', '1h', '2017-04-19T09:00:00Z', '2017-04-19T10:00:00Z', 2, 's3'),
      entry('ORCL', '1d', '2004-01-02T00:00:00Z', '2004-01-06T00:00:00Z', 3, 's3'),
    ]);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(4);
    s3.restore();
  });
});

describe('CachedSymbolCatalog', () => {
  it('serves one listing for the TTL, shares a refresh between callers, and keeps the old listing when a refresh fails', async () => {
    let now = 0;
    const inner = new InMemorySymbolCatalog([entry('ORCL', '1d', '2004-01-02T00:00:00Z', '2004-01-06T00:00:00Z', 3, 'csv')]);
    const cached = new CachedSymbolCatalog(inner, { ttlMs: 1000, now: () => now });

    await Promise.all([cached.list(), cached.list(), cached.list()]);
    expect(inner.lists).toBe(1);
    now = 999;
    await cached.list();
    expect(inner.lists).toBe(1);

    now = 1000;
    inner.failNext = 1;
    expect((await cached.list()).map((e) => e.symbol)).toEqual(['ORCL']);
    expect(inner.lists).toBe(2);
    inner.entries = [];
    expect(await cached.list()).toEqual([]);
    expect(inner.lists).toBe(3);
  });

  it('fails when the very first listing fails, and tries again on the next call', async () => {
    const inner = new InMemorySymbolCatalog([]);
    inner.failNext = 1;
    const cached = new CachedSymbolCatalog(inner);
    await expect(cached.list()).rejects.toThrow('listing unavailable');
    await expect(cached.list()).resolves.toEqual([]);
  });
});
