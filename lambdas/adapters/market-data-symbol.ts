import { EngineInputError, UnknownSymbolError } from '../../engine/errors.ts';
import { TIMEFRAMES, type Timeframe } from '../../engine/types.ts';

/**
 * The symbols a data file or object may be named after: the submit schema's rule. No `/`, and no leading `.`, so a
 * symbol can never reach outside the data folder or bucket prefix it is joined to.
 */
export const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._=^-]{0,31}$/;

export function assertSymbolAndTimeframe(symbol: string, timeframe: Timeframe): void {
  if (typeof symbol !== 'string' || !SYMBOL_PATTERN.test(symbol)) {
    throw new UnknownSymbolError(String(symbol), 'a symbol is 1-32 letters, digits or . _ = ^ -');
  }
  if (!TIMEFRAMES.includes(timeframe)) {
    throw new EngineInputError(`unknown timeframe ${JSON.stringify(timeframe)} (known: ${TIMEFRAMES.join(', ')})`, 'timeframe');
  }
}
