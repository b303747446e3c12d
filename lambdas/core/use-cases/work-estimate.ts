import { syntheticBarCount } from '../../../engine/index.ts';
import type { Timeframe } from '../../../engine/types.ts';
import type { SymbolEntry } from '../ports/symbol-catalog.ts';
import type { SubmitRequest } from '../submit-schema.ts';
import { creditsFor, type TierSettings } from '../tiers.ts';
import { requestRangeMs } from './backtest-spec.ts';
import { isSynthetic } from './symbols.ts';

/**
 * Bars per calendar day, counting every hour of every day: the fallback when the data's own bar count is unknown
 * (no catalog entry). Markets trade fewer hours, so this over-estimates (about 3.4x for one-minute stock bars).
 */
const BARS_PER_DAY: Record<Timeframe, number> = { '1m': 1440, '5m': 288, '15m': 96, '1h': 24, '1d': 1 };

/** A request without a start date is assumed to reach back to 1970 (no source in this service has older bars). */
const EARLIEST_MS = Date.parse('1970-01-01T00:00:00Z');

/**
 * The free tier's limit, kept for callers that predate per-tier limits (TierSettings.maxBarEvaluations). Measured: the
 * engine runs sma-cross sweeps at about 14-16 M bar evaluations/s on one core of the dev machine; a 1 GB Lambda has
 * about 0.6 of a vCPU, so about 8 M/s: 100 M is about 12 s, a tenth of the 120 s worker timeout.
 */
export const MAX_BAR_EVALUATIONS = 100_000_000;

export interface WorkEstimate {
  bars: number;
  combinations: number;
  barEvaluations: number;
  /** Where `bars` comes from: the data's own count, the synthetic calendar, or the calendar-day fallback. */
  barsFrom: 'catalog' | 'synthetic' | 'calendar';
}

/**
 * The bars a request will really get, times its combinations. With the symbol's catalog entry, the entry's bar
 * count is scaled by the share of its first-to-last span the request covers (bars are assumed evenly spread over
 * that span: exact for a whole-history request, approximate for a slice). Synthetic symbols with both dates are
 * counted exactly. Otherwise the calendar-day fallback above.
 */
export function estimateWork(
  request: Pick<SubmitRequest, 'startDate' | 'endDate' | 'timeframe' | 'symbol'>,
  combinations: number,
  nowMs: number,
  entry?: SymbolEntry,
): WorkEstimate {
  const range = requestRangeMs(request);
  let bars: number;
  let barsFrom: WorkEstimate['barsFrom'];
  if (entry && entry.bars > 0) {
    const from = Math.max(range.startMs ?? entry.firstBarMs, entry.firstBarMs);
    const to = Math.min(range.endMs ?? entry.lastBarMs, entry.lastBarMs);
    const span = entry.lastBarMs - entry.firstBarMs;
    bars = to < from ? 0 : span <= 0 ? entry.bars : Math.min(entry.bars, Math.ceil((entry.bars * (to - from)) / span) + 1);
    barsFrom = 'catalog';
  } else if (isSynthetic(request.symbol) && range.startMs !== undefined && range.endMs !== undefined) {
    bars = syntheticBarCount(request.timeframe, range.startMs, range.endMs);
    barsFrom = 'synthetic';
  } else {
    const { startMs = EARLIEST_MS, endMs = nowMs } = range;
    const days = Math.max(1, Math.ceil((endMs - startMs) / 86_400_000));
    bars = days * BARS_PER_DAY[request.timeframe];
    barsFrom = 'calendar';
  }
  return { bars, combinations, barEvaluations: bars * combinations, barsFrom };
}

/** How a job's work is cut and priced in a tier: one chunk is today's single-worker path. */
export interface WorkPlan extends WorkEstimate {
  /** Slices of the parameter grid, one queue message and one worker invocation each. */
  chunks: number;
  credits: number;
}

export function planWork(work: WorkEstimate, settings: Pick<TierSettings, 'creditsPerJob' | 'chunkBarEvaluations' | 'fanOutAboveBarEvaluations'>): WorkPlan {
  // Work that one worker ran before fan-out existed still runs that way; a chunk is at least one combination, so a
  // single backtest never fans out.
  const chunks =
    work.barEvaluations <= settings.fanOutAboveBarEvaluations
      ? 1
      : Math.max(1, Math.min(work.combinations, Math.ceil(work.barEvaluations / settings.chunkBarEvaluations)));
  return { ...work, chunks, credits: creditsFor(settings, work.barEvaluations) };
}

/** Combinations [from, to) of chunk `chunk` (0-based) of `chunks`: even slices of the grid, in grid order. */
export function chunkRange(chunk: number, chunks: number, combinations: number): { from: number; to: number } {
  return { from: Math.floor((chunk * combinations) / chunks), to: Math.floor(((chunk + 1) * combinations) / chunks) };
}
