import { SYNTHETIC_PREFIX, TIMEFRAMES, type Timeframe } from '../../../engine/index.ts';
import { ValidationError, type FieldIssue } from '../errors.ts';
import type { SymbolCatalog, SymbolEntry } from '../ports/symbol-catalog.ts';
import type { SubmitRequest } from '../submit-schema.ts';
import { requestRangeMs } from './backtest-spec.ts';

export const DEFAULT_SYMBOLS_PAGE = 100;
export const MAX_SYMBOLS_PAGE = 500;
/** How many symbols a refusal names before "and N more". */
const NAMED_IN_ERRORS = 20;

export interface SymbolView {
  symbol: string;
  timeframe: Timeframe;
  /** `YYYY-MM-DD` for daily bars, ISO 8601 UTC otherwise. */
  firstBar: string;
  lastBar: string;
  bars: number;
  source: 'csv' | 's3';
}

export interface SymbolsPage {
  items: SymbolView[];
  synthetic: { pattern: string; timeframes: Timeframe[]; description: string };
  nextCursor: string | null;
}

export const SYNTHETIC_SYMBOLS = {
  pattern: `${SYNTHETIC_PREFIX}*`,
  timeframes: [...TIMEFRAMES],
  description:
    `Any name starting with ${SYNTHETIC_PREFIX} (for example ${SYNTHETIC_PREFIX}DEMO) is a deterministic synthetic series: ` +
    'the same name and dates always give the same bars; without dates, about ten years of daily bars ending 2025-12-31.',
};

export function isSynthetic(symbol: string): boolean {
  return symbol.toUpperCase().startsWith(SYNTHETIC_PREFIX);
}

/** A bar time as people write it: the day for daily data, the full instant otherwise. */
export function barTime(ms: number, timeframe: Timeframe): string {
  const iso = new Date(ms).toISOString();
  return timeframe === '1d' ? iso.slice(0, 10) : iso;
}

function view(entry: SymbolEntry): SymbolView {
  return {
    symbol: entry.symbol,
    timeframe: entry.timeframe,
    firstBar: barTime(entry.firstBarMs, entry.timeframe),
    lastBar: barTime(entry.lastBarMs, entry.timeframe),
    bars: entry.bars,
    source: entry.source,
  };
}

const cursorOf = (entry: { symbol: string; timeframe: string }): string => `${entry.symbol}/${entry.timeframe}`;

/** Listing order: by symbol, then by bar size from the shortest. */
function compareEntries(a: { symbol: string; timeframe: string }, b: { symbol: string; timeframe: string }): number {
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  return TIMEFRAMES.indexOf(a.timeframe as Timeframe) - TIMEFRAMES.indexOf(b.timeframe as Timeframe);
}

/** `GET /symbols?limit=&cursor=`: the real data sets a page at a time, and the synthetic pattern. */
export async function listSymbols(query: { limit?: string; cursor?: string }, deps: { symbols: SymbolCatalog }): Promise<SymbolsPage> {
  const issues: FieldIssue[] = [];
  let limit = DEFAULT_SYMBOLS_PAGE;
  if (query.limit !== undefined) {
    limit = /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_SYMBOLS_PAGE)) issues.push({ path: 'limit', message: `must be a whole number from 1 to ${MAX_SYMBOLS_PAGE}` });
  }
  if (query.cursor !== undefined && !/^[^/]{1,32}\/[0-9a-z]{2,3}$/.test(query.cursor)) {
    issues.push({ path: 'cursor', message: 'must be the nextCursor of a previous page' });
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const entries = [...(await deps.symbols.list())].sort(compareEntries);
  // The cursor names the last item served, so a refreshed listing neither repeats nor skips what remains.
  let start = 0;
  if (query.cursor !== undefined) {
    const slash = query.cursor.lastIndexOf('/');
    const after = { symbol: query.cursor.slice(0, slash), timeframe: query.cursor.slice(slash + 1) };
    start = entries.findIndex((e) => compareEntries(e, after) > 0);
  }
  const rest = start < 0 ? [] : entries.slice(start);
  const items = rest.slice(0, limit);
  return {
    items: items.map(view),
    synthetic: SYNTHETIC_SYMBOLS,
    nextCursor: rest.length > limit ? cursorOf(items[items.length - 1]) : null,
  };
}

function named(values: string[]): string {
  const unique = [...new Set(values)];
  const shown = unique.slice(0, NAMED_IN_ERRORS).join(', ');
  return unique.length > NAMED_IN_ERRORS ? `${shown} and ${unique.length - NAMED_IN_ERRORS} more` : shown;
}

/**
 * Why a submit's symbol, timeframe or dates name no data, as field issues (none when the data exists). SYNTH-* always
 * exists. A range that overlaps the data only in part is accepted (the worker runs on the part that exists); a range
 * entirely before the first bar or after the last names the date that misses and the range that exists.
 */
export function dataIssues(request: Pick<SubmitRequest, 'symbol' | 'timeframe' | 'startDate' | 'endDate'>, entries: readonly SymbolEntry[]): FieldIssue[] {
  if (isSynthetic(request.symbol)) return [];
  const wanted = request.symbol.toUpperCase();
  const forSymbol = entries.filter((e) => e.symbol.toUpperCase() === wanted);
  if (forSymbol.length === 0) {
    const known = entries.length === 0 ? 'no market data is loaded' : `known: ${named(entries.map((e) => e.symbol))}`;
    return [{ path: 'symbol', message: `unknown symbol ${request.symbol}; ${known}; or any ${SYNTHETIC_SYMBOLS.pattern} (GET /symbols lists them)` }];
  }
  const entry = forSymbol.find((e) => e.timeframe === request.timeframe);
  if (!entry) {
    return [{ path: 'timeframe', message: `${forSymbol[0].symbol} has no ${request.timeframe} data; it has ${named(forSymbol.map((e) => e.timeframe))}` }];
  }
  const { startMs, endMs } = requestRangeMs(request);
  const range = `${entry.symbol} ${entry.timeframe} data runs from ${barTime(entry.firstBarMs, entry.timeframe)} to ${barTime(entry.lastBarMs, entry.timeframe)}`;
  if (startMs !== undefined && startMs > entry.lastBarMs) return [{ path: 'startDate', message: `is after the last bar: ${range}` }];
  if (endMs !== undefined && endMs < entry.firstBarMs) return [{ path: 'endDate', message: `is before the first bar: ${range}` }];
  return [];
}
