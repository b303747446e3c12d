import type { RunProvenance } from '../../engine/fingerprint.ts';
import type { Stats, SweepGrid, SweepRow, Trade } from '../../engine/types.ts';

/** Trades kept in a stored result; the full count is in `tradesTotal`. Keeps a job well under DynamoDB's 400 KB item cap. */
export const MAX_STORED_TRADES = 1000;

/** What a succeeded job stores: the engine result with the trade list capped. */
export interface JobResult {
  params: Record<string, number | boolean>;
  stats: Stats;
  trades: Trade[];
  tradesTotal: number;
  equityCurve: { time: number[]; equity: number[] };
  /** `grid` (two-parameter sweeps only): every combination's metric, at most the tier's maxCombinations cells. */
  sweep?: { metric: string; combinations: number; top: SweepRow[]; grid?: SweepGrid };
  /** The engine version and the SHA-256 of the bars the run saw (engine/fingerprint.ts); absent on results stored before it. */
  provenance?: RunProvenance;
}

/** The part of a result that fits in a WebSocket message (no trades, no curve). */
export interface ResultSummary {
  params: Record<string, number | boolean>;
  stats: Stats;
  tradesTotal: number;
}

export function summarize(result: JobResult): ResultSummary {
  return { params: result.params, stats: result.stats, tradesTotal: result.tradesTotal };
}
