import { EngineInputError } from '../../engine/errors.ts';
import { syntheticSeries } from '../../engine/synthetic.ts';
import type { BarSeries, Timeframe } from '../../engine/types.ts';
import type { MarketData } from '../core/ports/market-data.ts';
import { assertSymbolAndTimeframe } from './market-data-symbol.ts';
import { SeriesCache } from './series-cache.ts';

const DAY_MS = 86_400_000;

/**
 * Without dates a synthetic request covers a fixed window ending at this instant, not "until now": the same
 * request then gives the same bars (and the same backtest) tomorrow.
 */
export const SYNTHETIC_DEFAULT_END_MS = Date.UTC(2025, 11, 31, 23, 59, 59);

/** Default window length per timeframe: roughly 2,500-8,500 bars, a few seconds of sweep at most. */
export const SYNTHETIC_DEFAULT_DAYS: Readonly<Record<Timeframe, number>> = { '1d': 3652, '1h': 730, '15m': 180, '5m': 60, '1m': 20 };

/** Bars a synthetic trading day holds per timeframe (sessions of 420 minutes, as engine/synthetic.ts draws them). */
const BARS_PER_DAY: Readonly<Record<Timeframe, number>> = { '1d': 1, '1h': 7, '15m': 28, '5m': 84, '1m': 420 };

export interface SyntheticMarketDataProps {
  /** Refuse ranges with more bars than this (memory: 48 bytes a bar). @default 2_000_000 */
  maxBars?: number;
  cache?: SeriesCache;
}

/** Deterministic synthetic series for `SYNTH-*` symbols (demos, load tests): no files, no network. */
export class SyntheticMarketData implements MarketData {
  readonly #maxBars: number;
  readonly #cache: SeriesCache;

  constructor(props: SyntheticMarketDataProps = {}) {
    this.#maxBars = props.maxBars ?? 2_000_000;
    this.#cache = props.cache ?? new SeriesCache();
  }

  async load(symbol: string, timeframe: Timeframe, startMs?: number, endMs?: number): Promise<BarSeries> {
    assertSymbolAndTimeframe(symbol, timeframe);
    const span = SYNTHETIC_DEFAULT_DAYS[timeframe] * DAY_MS;
    // Only a start: the default window from there (still a fixed range, so still reproducible).
    const end = endMs ?? (startMs !== undefined ? startMs + span : SYNTHETIC_DEFAULT_END_MS);
    const start = startMs ?? Math.max(0, end - span);
    // Weekdays only: about 5/7 of the calendar days carry bars.
    const estimate = Math.ceil((((end - start) / DAY_MS) * 5) / 7) * BARS_PER_DAY[timeframe];
    if (estimate > this.#maxBars) {
      throw new EngineInputError(
        `the range holds about ${estimate} ${timeframe} bars, more than ${this.#maxBars}; shorten it or use a longer timeframe`,
        'startDate',
      );
    }
    return this.#cache.get(`${symbol}/${timeframe}/${start}/${end}`, async () => syntheticSeries(symbol, timeframe, start, end));
  }
}
