/**
 * Named engine errors. The worker decides "never retry" by `instanceof EngineInputError`: every error caused by
 * the spec or the data derives from it, so a bad request fails at once instead of burning three retries.
 */

export interface InputIssue {
  /** Dotted path of the offending field, e.g. `params.fast`, `sizing.units`, `strategyId`, `csv`. */
  path: string;
  message: string;
}

/** Unrecoverable: the spec or the data is wrong and running again cannot help. */
export class EngineInputError extends Error {
  readonly issues: InputIssue[];

  constructor(issues: InputIssue[] | string, path = 'spec') {
    const list = typeof issues === 'string' ? [{ path, message: issues }] : issues;
    super(list.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'EngineInputError';
    this.issues = list;
  }
}

/** Malformed CSV market data; `line` is 1-based and counts the header line. */
export class CsvFormatError extends EngineInputError {
  readonly line: number;

  constructor(line: number, problem: string, source?: string) {
    const where = source ? `${source} line ${line}` : `line ${line}`;
    super([{ path: 'csv', message: `${where}: ${problem}` }]);
    this.name = 'CsvFormatError';
    this.line = line;
  }
}

/** A symbol no data source knows (the synthetic source only serves `SYNTH-*`). */
export class UnknownSymbolError extends EngineInputError {
  readonly symbol: string;

  constructor(symbol: string, detail = 'synthetic data exists only for symbols named SYNTH-*') {
    super([{ path: 'symbol', message: `unknown symbol ${JSON.stringify(symbol)}: ${detail}` }]);
    this.name = 'UnknownSymbolError';
    this.symbol = symbol;
  }
}

/** The caller aborted the run through its AbortSignal. Named `AbortError` like the platform's own aborts. */
export class BacktestAbortedError extends Error {
  constructor(reason?: unknown) {
    super(typeof reason === 'string' ? `backtest aborted: ${reason}` : 'backtest aborted');
    this.name = 'AbortError';
  }
}
