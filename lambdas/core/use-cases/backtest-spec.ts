import type { BacktestSpec } from '../../../engine/types.ts';
import type { SubmitRequest } from '../submit-schema.ts';

/** The engine's view of a submit body: everything except where the bars come from (symbol, dates). */
export function specFromRequest(request: SubmitRequest): BacktestSpec {
  return {
    strategyId: request.strategyId,
    params: request.params,
    initialCash: request.initialCash,
    commission: request.commission,
    slippageBps: request.slippageBps,
    sizing: request.sizing,
    fractional: request.fractional,
    timeframe: request.timeframe,
    ...(request.sweep ? { sweep: request.sweep } : {}),
  };
}

/** Inclusive UTC bounds of the requested dates in epoch ms: the whole end day counts. */
export function requestRangeMs(request: Pick<SubmitRequest, 'startDate' | 'endDate'>): { startMs?: number; endMs?: number } {
  return {
    ...(request.startDate ? { startMs: Date.parse(`${request.startDate}T00:00:00.000Z`) } : {}),
    ...(request.endDate ? { endMs: Date.parse(`${request.endDate}T23:59:59.999Z`) } : {}),
  };
}
