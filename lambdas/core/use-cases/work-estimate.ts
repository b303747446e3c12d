import type { Timeframe } from '../../../engine/types.ts';
import type { SubmitRequest } from '../submit-schema.ts';
import { requestRangeMs } from './backtest-spec.ts';

/**
 * Bars per calendar day, counting every hour of every day. Markets trade fewer hours, so this over-estimates
 * (about 1.45x for daily stock bars): a refusal errs on the side of jobs that finish well inside the timeout.
 */
const BARS_PER_DAY: Record<Timeframe, number> = { '1m': 1440, '5m': 288, '15m': 96, '1h': 24, '1d': 1 };

/** A request without a start date is assumed to reach back to 1970 (no source in this service has older bars). */
const EARLIEST_MS = Date.parse('1970-01-01T00:00:00Z');

/**
 * Most bar evaluations (bars x parameter combinations) one job may ask for. The worker timeout is 120 s; this
 * keeps the engine's part under about a quarter of it on the smallest worker (1 GB, about 0.6 vCPU), with the
 * throughput measured in test/core/work-estimate.test.ts (see the commit that set it). Bigger work is refused at
 * submit instead of timing out four times in the worker.
 */
export const MAX_BAR_EVALUATIONS = 60_000_000;

export interface WorkEstimate {
  bars: number;
  combinations: number;
  barEvaluations: number;
}

export function estimateWork(request: Pick<SubmitRequest, 'startDate' | 'endDate' | 'timeframe'>, combinations: number, nowMs: number): WorkEstimate {
  const { startMs = EARLIEST_MS, endMs = nowMs } = requestRangeMs(request);
  const days = Math.max(1, Math.ceil((endMs - startMs) / 86_400_000));
  const bars = days * BARS_PER_DAY[request.timeframe];
  return { bars, combinations, barEvaluations: bars * combinations };
}
