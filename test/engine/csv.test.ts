import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CsvFormatError, EngineInputError, parseCsv } from '../../engine/index.ts';
import { DATA_DIR } from './helpers.ts';
import { itWithSharedData } from '../support/shared-data.ts';

const SHARED_FILES = ['ORCL-1d.csv', 'NVDA-1d.csv', 'YHOO-1d.csv', 'GOOG-1d.csv', 'EURUSD-1h.csv', 'STOXX50E-2006-1d.csv'];

const YAHOO = `Date,Open,High,Low,Close,Adj Close,Volume
2004-01-02,10.5,11,10,10.75,9.1,1000
2004-01-05,10.8,11.2,10.6,11.1,9.4,2000
`;

function errorOf(text: string): CsvFormatError {
  try {
    parseCsv(text, { source: 'test.csv' });
  } catch (e) {
    if (e instanceof CsvFormatError) return e;
    throw e;
  }
  throw new Error('expected a CsvFormatError');
}

describe('parseCsv', () => {
  it('reads Yahoo exports: daily dates are UTC midnight, prices as given, Adj Close ignored', () => {
    const bars = parseCsv(YAHOO);
    expect(bars.length).toBe(2);
    expect(bars.time[0]).toBe(Date.UTC(2004, 0, 2));
    expect([...bars.open]).toEqual([10.5, 10.8]);
    expect([...bars.high]).toEqual([11, 11.2]);
    expect([...bars.low]).toEqual([10, 10.6]);
    expect([...bars.close]).toEqual([10.75, 11.1]);
    expect([...bars.volume]).toEqual([1000, 2000]);
  });

  it('reads the pandas layout: empty first header, timestamps without zone are UTC', () => {
    const bars = parseCsv(',Open,High,Low,Close,Volume\r\n2017-04-19 09:00:00,1.0716,1.0722,1.07083,1.07219,1413\r\n2017-04-19 10:00:00,1.07214,1.07296,1.07214,1.0726,1241\r\n');
    expect(bars.length).toBe(2);
    expect(bars.time[0]).toBe(Date.UTC(2017, 3, 19, 9));
    expect(bars.time[1] - bars.time[0]).toBe(3_600_000);
    expect(bars.close[1]).toBe(1.0726);
  });

  it('ignores extra columns such as OpenInterest, takes any first-column header, and honours explicit zones', () => {
    const bars = parseCsv('timestamp,Open,High,Low,Close,Volume,OpenInterest\n2006-01-02T10:00:00+01:00,3578.73,3605.95,3578.73,3604.33,0,0\n');
    expect(bars.time[0]).toBe(Date.UTC(2006, 0, 2, 9));
    expect(bars.close[0]).toBe(3604.33);
  });

  it('treats Volume as optional', () => {
    const bars = parseCsv('Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,1.5\n');
    expect([...bars.volume]).toEqual([0]);
  });

  it.each([
    ['an unparseable number', 'Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,abc\n', 2, /unparseable number "abc" in column Close/],
    ['Yahoo null rows', 'Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-01,1,2,0.5,1,1,5\n2020-01-02,null,null,null,null,null,null\n', 3, /unparseable number "null" in column Open/],
    ['an empty value', 'Date,Open,High,Low,Close\n2020-01-01,1,,0.5,1\n', 2, /empty value in column High/],
    ['a duplicate timestamp', 'Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,1\n2020-01-01,1,2,0.5,1\n', 3, /duplicate timestamp/],
    ['unsorted timestamps', 'Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1\n2020-01-01,1,2,0.5,1\n', 3, /unsorted timestamp/],
    ['high below low', 'Date,Open,High,Low,Close\n2020-01-01,1,0.4,0.5,1\n', 2, /high 0.4 is below low 0.5/],
    ['a missing column in the header', 'Date,Open,High,Close\n2020-01-01,1,2,1\n', 1, /missing column Low/],
    ['a short row', 'Date,Open,High,Low,Close\n2020-01-01,1,2,0.5\n', 2, /missing column/],
    ['an unparseable timestamp', 'Date,Open,High,Low,Close\n01/02/2020,1,2,0.5,1\n', 2, /unparseable timestamp "01\/02\/2020"/],
    ['an impossible date', 'Date,Open,High,Low,Close\n2021-02-30,1,2,0.5,1\n', 2, /unparseable timestamp/],
    ['a non-positive price', 'Date,Open,High,Low,Close\n2020-01-01,0,2,0.5,1\n', 2, /prices must be positive/],
    ['a negative volume', 'Date,Open,High,Low,Close,Volume\n2020-01-01,1,2,0.5,1,-5\n', 2, /negative volume/],
    ['no data rows', 'Date,Open,High,Low,Close\n', 2, /no data rows/],
    ['an empty file', '', 1, /empty file/],
  ])('rejects %s, naming the line and the problem', (_name, text, line, message) => {
    const e = errorOf(text);
    expect(e).toBeInstanceOf(EngineInputError);
    expect(e.line).toBe(line);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`test.csv line ${line}`);
    expect(e.issues[0].path).toBe('csv');
  });

  itWithSharedData('parses every file in ../shared/data', SHARED_FILES, () => {
    for (const file of SHARED_FILES) {
      const text = readFileSync(`${DATA_DIR}${file}`, 'utf8');
      const bars = parseCsv(text, { source: file });
      const rows = text.trim().split('\n').length - 1;
      expect(bars.length, file).toBe(rows);
      for (let i = 1; i < bars.length; i++) expect(bars.time[i] > bars.time[i - 1]).toBe(true);
    }
  });
});
