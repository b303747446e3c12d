import { allocateBars } from './bars.ts';
import { detectPrecision } from './precision.ts';
import { CsvFormatError } from './errors.ts';
import { parseTimestamp, toIso } from './time.ts';
import type { BarSeries } from './types.ts';

const REQUIRED = ['open', 'high', 'low', 'close'] as const;

function unquote(field: string): string {
  const f = field.trim();
  return f.length >= 2 && f[0] === '"' && f[f.length - 1] === '"' ? f.slice(1, -1).trim() : f;
}

/**
 * Parses OHLCV CSV text into a columnar series.
 *
 * Accepted layouts: Yahoo exports (`Date,Open,High,Low,Close,Adj Close,Volume`) and any file whose first column is
 * the timestamp whatever its header (pandas writes an empty one). Price columns are found by name
 * (case-insensitive); `Volume` is optional (zeros when absent); other columns (`Adj Close`, `OpenInterest`) are
 * ignored. Prices are used as given, never adjusted. Timestamps: `YYYY-MM-DD` is UTC midnight; a time without a
 * zone is UTC. Blank lines are skipped.
 *
 * Every malformed value is a `CsvFormatError` naming the line and the problem: a silent NaN would turn into a
 * plausible-looking but wrong backtest.
 */
export function parseCsv(text: string, opts: { source?: string } = {}): BarSeries {
  const src = opts.source;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  let headerIdx = 0;
  while (headerIdx < lines.length && lines[headerIdx].trim() === '') headerIdx++;
  if (headerIdx === lines.length) throw new CsvFormatError(1, 'empty file: expected a header line', src);

  const header = lines[headerIdx].split(',').map((h) => unquote(h).toLowerCase());
  const col: Record<string, number> = {};
  for (const name of [...REQUIRED, 'volume']) {
    const i = header.indexOf(name);
    if (i > 0) col[name] = i;
  }
  for (const name of REQUIRED) {
    if (col[name] === undefined) {
      throw new CsvFormatError(headerIdx + 1, `missing column ${name[0].toUpperCase()}${name.slice(1)} in header`, src);
    }
  }
  const volumeCol = col.volume ?? -1;
  const needed = Math.max(col.open, col.high, col.low, col.close, volumeCol) + 1;

  const bars = allocateBars(lines.length - headerIdx - 1);
  const { time, open, high, low, close, volume } = bars;
  let n = 0;
  for (let li = headerIdx + 1; li < lines.length; li++) {
    const raw = lines[li];
    if (raw.trim() === '') continue;
    const lineNo = li + 1;
    const fields = raw.split(',');
    if (fields.length < needed) {
      throw new CsvFormatError(lineNo, `missing column: row has ${fields.length} fields, header needs at least ${needed}`, src);
    }
    const stamp = unquote(fields[0]);
    const t = parseTimestamp(stamp);
    if (Number.isNaN(t)) throw new CsvFormatError(lineNo, `unparseable timestamp ${JSON.stringify(stamp)}`, src);
    if (n > 0 && t <= time[n - 1]) {
      const kind = t === time[n - 1] ? 'duplicate' : 'unsorted';
      throw new CsvFormatError(lineNo, `${kind} timestamp ${toIso(t)}: not after the previous row's ${toIso(time[n - 1])}`, src);
    }
    const num = (name: string, idx: number): number => {
      const f = unquote(fields[idx]);
      if (f === '') throw new CsvFormatError(lineNo, `empty value in column ${name}`, src);
      const v = Number(f);
      if (!Number.isFinite(v)) throw new CsvFormatError(lineNo, `unparseable number ${JSON.stringify(f)} in column ${name}`, src);
      return v;
    };
    const o = num('Open', col.open);
    const h = num('High', col.high);
    const l = num('Low', col.low);
    const c = num('Close', col.close);
    const v = volumeCol < 0 ? 0 : num('Volume', volumeCol);
    if (o <= 0 || h <= 0 || l <= 0 || c <= 0) throw new CsvFormatError(lineNo, 'prices must be positive', src);
    if (h < l) throw new CsvFormatError(lineNo, `high ${h} is below low ${l}`, src);
    if (v < 0) throw new CsvFormatError(lineNo, `negative volume ${v}`, src);
    time[n] = t;
    open[n] = o;
    high[n] = h;
    low[n] = l;
    close[n] = c;
    volume[n] = v;
    n++;
  }
  if (n === 0) throw new CsvFormatError(headerIdx + 2, 'no data rows after the header', src);
  const closes = close.subarray(0, n);
  return {
    closePrecision: detectPrecision(closes),
    length: n,
    time: time.subarray(0, n),
    open: open.subarray(0, n),
    high: high.subarray(0, n),
    low: low.subarray(0, n),
    close: closes,
    volume: volume.subarray(0, n),
  };
}
