import type { SweepGrid, SweepRow, Trade } from '../../../engine/types.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import type { Job } from '../job.ts';
import type { JobResult } from '../job-result.ts';
import type { Principal } from '../principal.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import { readableJob } from './read-jobs.ts';

export const DEFAULT_TRADES_PAGE = 100;
export const MAX_TRADES_PAGE = 1000;

export interface EquityView {
  /** Epoch ms of each point (the stored curve: at most 500 points, peaks and troughs kept). */
  time: number[];
  equity: number[];
  /** Percent below the running peak at each point: 0 at a new high, negative below it. */
  drawdownPct: number[];
}

export interface TradesPage {
  items: Trade[];
  nextCursor: string | null;
  /** Trades the run made. */
  total: number;
  /** Trades kept with the job (MAX_STORED_TRADES at most); pages run over these. */
  stored: number;
}

export interface SweepView {
  metric: string;
  combinations: number;
  top: SweepRow[];
  grid?: SweepGrid;
}

/** The stored result of the caller's job, once it succeeded: 404 for a job they cannot see, 409 before it succeeded. */
async function resultOf(principal: Principal, jobId: string, jobs: JobRepository): Promise<{ job: Job; result: JobResult }> {
  const job = await readableJob(principal, jobId, jobs);
  if (job.status !== 'succeeded' || !job.result) {
    const live = job.status === 'queued' || job.status === 'running';
    throw new ConflictError(live ? `Job ${jobId} is ${job.status}: its result exists once it succeeded` : `Job ${jobId} ${job.status}, so it has no result`);
  }
  return { job, result: job.result };
}

/** Drawdown from the running peak, in percent (<= 0). */
export function drawdownPct(equity: readonly number[]): number[] {
  let peak = Number.NEGATIVE_INFINITY;
  return equity.map((e) => {
    peak = Math.max(peak, e);
    return peak > 0 ? (e / peak - 1) * 100 : 0;
  });
}

/** `GET /backtests/{jobId}/equity`. */
export async function getEquity(principal: Principal, jobId: string, deps: { jobs: JobRepository }): Promise<EquityView> {
  const { result } = await resultOf(principal, jobId, deps.jobs);
  const { time, equity } = result.equityCurve;
  return { time, equity, drawdownPct: drawdownPct(equity) };
}

/** `GET /backtests/{jobId}/trades?cursor=&limit=`: the stored trades in order; the cursor is the index of the next one. */
export async function getTrades(principal: Principal, jobId: string, query: { cursor?: string; limit?: string }, deps: { jobs: JobRepository }): Promise<TradesPage> {
  const issues: FieldIssue[] = [];
  let limit = DEFAULT_TRADES_PAGE;
  if (query.limit !== undefined) {
    limit = /^\d{1,4}$/.test(query.limit) ? Number(query.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_TRADES_PAGE)) issues.push({ path: 'limit', message: `must be a whole number from 1 to ${MAX_TRADES_PAGE}` });
  }
  let from = 0;
  if (query.cursor !== undefined) {
    from = /^\d{1,7}$/.test(query.cursor) ? Number(query.cursor) : Number.NaN;
    if (Number.isNaN(from)) issues.push({ path: 'cursor', message: 'must be the nextCursor of a previous page' });
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const { result } = await resultOf(principal, jobId, deps.jobs);
  const items = result.trades.slice(from, from + limit);
  const next = from + items.length;
  return { items, nextCursor: next < result.trades.length ? String(next) : null, total: result.tradesTotal, stored: result.trades.length };
}

/** `GET /backtests/{jobId}/sweep`: the ranking, and for a two-parameter sweep the grid of every combination's metric. */
export async function getSweep(principal: Principal, jobId: string, deps: { jobs: JobRepository }): Promise<SweepView> {
  const { result } = await resultOf(principal, jobId, deps.jobs);
  if (!result.sweep) throw new NotFoundError(`Job ${jobId} is a single backtest, not a sweep`);
  const { metric, combinations, top, grid } = result.sweep;
  return { metric, combinations, top, ...(grid ? { grid } : {}) };
}
