import { randomUUID } from 'node:crypto';
import * as z from '../../../engine/zod-mini.ts';
import { provenanceOf } from '../../../engine/fingerprint.ts';
import { runWithTrace } from '../../../engine/run.ts';
import type { Stats } from '../../../engine/types.ts';
import { BOARDS, findBoard, type Board } from '../board.ts';
import { deflatedSharpe, returnMoments, trialVariance } from '../deflated-sharpe.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import { PublishRateExceededError } from '../publish-rate-exceeded.ts';
import type { Job } from '../job.ts';
import { displayNameIssues, ownerKey, type EntryCosts, type EntryDeflatedSharpe } from '../leaderboard-entry.ts';
import type { Principal } from '../principal.ts';
import { isoNow, type Clock } from '../ports/clock.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import type { LeaderboardStore, PendingPublication } from '../ports/leaderboard-store.ts';
import type { MarketData } from '../ports/market-data.ts';
import { requestRangeMs, specFromRequest } from './backtest-spec.ts';
import { fieldIssues } from './field-issues.ts';
import { submitBacktest, type SubmitDeps } from './submit-backtest.ts';

/** Publishes a user may make per UTC hour (docs/leaderboard.md, "Abuse"). */
export const PUBLISHES_PER_HOUR = 5;
/** A publication whose out-of-sample job never finishes is forgotten after this long. */
const PENDING_TTL_SECONDS = 7 * 24 * 60 * 60;
/** Annualisation the engine's Sharpe uses for daily bars: trials' Sharpe ratios are brought back to daily with it. */
const TRADING_DAYS = 252;

export const publishBodySchema = z.strictObject({
  board: z.string().check(z.minLength(1)).check(z.maxLength(64)),
  displayName: z.string(),
});

export interface PublishDeps {
  jobs: JobRepository;
  store: LeaderboardStore;
  /** Loads both windows: the in-sample winner is re-run once (moments for DSR, and proof it reproduces). */
  marketData: MarketData;
  clock: Clock;
  /** How the out-of-sample job is submitted: the ordinary submit, charged and limited on the publisher's tier. */
  submit: SubmitDeps;
  /** @default BOARDS */
  boards?: readonly Board[];
  /** @default PUBLISHES_PER_HOUR */
  publishesPerHour?: number;
}

export interface PublishResponse {
  board: string;
  status: 'pending';
  /** The publisher's own out-of-sample job; the entry appears on the board when it succeeds. */
  outOfSampleJobId: string;
  links: { job: string; board: string };
}

// In its own module so the HTTP error mapping (handlers/shared/problem.ts) can name it without importing this use case
// and, through it, the engine into every function's bundle.
export { PublishRateExceededError };

/**
 * `POST /backtests/{jobId}/publish`: checks that the caller's succeeded job was tuned on exactly the board's
 * in-sample window, re-runs its winner once on that window (it must reproduce the stored result; its daily returns give
 * the deflated Sharpe ratio), records a pending publication and submits the out-of-sample job as the caller's own
 * ordinary job. The entry is stored by recordPublication when that job succeeds. No number comes from the client.
 */
export async function publishEntry(principal: Principal, jobId: string, body: unknown, deps: PublishDeps): Promise<PublishResponse> {
  const parsed = publishBodySchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  const nameIssues = displayNameIssues(parsed.data.displayName);
  if (nameIssues.length > 0) throw new ValidationError(nameIssues);
  const board = findBoard(deps.boards ?? BOARDS, parsed.data.board);
  if (!board) throw new ValidationError([{ path: 'board', message: `is not a board (GET /leaderboards lists them)` }]);

  const job = await deps.jobs.get(jobId);
  // Another user's job is indistinguishable from a missing one, as everywhere in the API.
  if (!job || job.userId !== principal.userId) throw new NotFoundError(`No job ${jobId}`);
  if (job.status !== 'succeeded' || !job.result) {
    throw new ConflictError(`Only a succeeded job can be published; job ${jobId} is ${job.status}`);
  }
  const differences = windowDifferences(job, board);
  if (differences.length > 0) {
    throw new ValidationError(differences, `Job ${jobId} was not run on board ${board.id}'s in-sample window; publish a job with the request the board needs`);
  }

  const nowMs = deps.clock.now();
  const hour = new Date(nowMs).toISOString().slice(0, 13);
  const hourEndMs = Date.parse(`${hour}:00:00.000Z`) + 3_600_000;
  const limit = deps.publishesPerHour ?? PUBLISHES_PER_HOUR;
  if (!(await deps.store.takePublishSlot(principal.userId, hour, limit, Math.floor(hourEndMs / 1000) + 3600))) {
    throw new PublishRateExceededError(limit, Math.max(1, Math.ceil((hourEndMs - nowMs) / 1000)), new Date(hourEndMs).toISOString());
  }

  const params = job.result.params;
  const costs: EntryCosts = {
    initialCash: job.request.initialCash,
    commission: job.request.commission,
    slippageBps: job.request.slippageBps,
    sizing: job.request.sizing,
    fractional: job.request.fractional,
  };
  const { inSample, dsr } = await rerunInSample(job, board, deps.marketData);
  const outOfSampleBars = await deps.marketData.load(board.symbol, board.timeframe, ...rangeOf(board.outOfSample));
  if (outOfSampleBars.length === 0) throw new ConflictError(`Board ${board.id} has no out-of-sample data here; nothing was published`);

  const outOfSampleJobId = (deps.submit.newJobId ?? randomUUID)();
  const pending: PendingPublication = {
    outOfSampleJobId,
    ownerKey: ownerKey(principal.userId, job.request.strategyId),
    createdAt: isoNow(deps.clock),
    entry: {
      board: board.id,
      displayName: parsed.data.displayName,
      strategyId: job.request.strategyId,
      params,
      costs,
      engineVersion: inSample.provenance.engineVersion,
      inSample: { ...board.inSample, stats: inSample.stats, barsSha256: inSample.provenance.barsSha256 },
      outOfSample: { ...board.outOfSample, barsSha256: provenanceOf(outOfSampleBars).barsSha256 },
      deflatedSharpe: dsr,
    },
  };
  // Stored before the job exists, so the job's success can never miss it.
  await deps.store.putPending(pending, Math.floor(nowMs / 1000) + PENDING_TTL_SECONDS);
  try {
    await submitBacktest(principal, { strategyId: job.request.strategyId, params, symbol: board.symbol, timeframe: board.timeframe, ...board.outOfSample, ...costs }, undefined, {
      ...deps.submit,
      newJobId: () => outOfSampleJobId,
    });
  } catch (error) {
    await deps.store.deletePending(outOfSampleJobId);
    throw error;
  }
  return {
    board: board.id,
    status: 'pending',
    outOfSampleJobId,
    links: { job: `/backtests/${encodeURIComponent(outOfSampleJobId)}`, board: `/leaderboard/${encodeURIComponent(board.id)}` },
  };
}

/** What differs between the job's request and the board's in-sample window, one issue per field. */
export function windowDifferences(job: Pick<Job, 'request'>, board: Board): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const r = job.request;
  if (r.symbol.toUpperCase() !== board.symbol.toUpperCase()) issues.push({ path: 'symbol', message: `is ${r.symbol}; board ${board.id} needs ${board.symbol}` });
  if (r.timeframe !== board.timeframe) issues.push({ path: 'timeframe', message: `is ${r.timeframe}; board ${board.id} needs ${board.timeframe}` });
  if (r.startDate !== board.inSample.startDate) {
    issues.push({ path: 'startDate', message: `is ${r.startDate ?? 'not set (all data)'}; board ${board.id} tunes from ${board.inSample.startDate}` });
  }
  if (r.endDate !== board.inSample.endDate) {
    issues.push({ path: 'endDate', message: `is ${r.endDate ?? 'not set (all data)'}; board ${board.id} tunes until ${board.inSample.endDate}` });
  }
  return issues;
}

const rangeOf = (w: { startDate: string; endDate: string }): [number | undefined, number | undefined] => {
  const { startMs, endMs } = requestRangeMs(w);
  return [startMs, endMs];
};

/**
 * Re-runs the job's winning parameters on the in-sample window. The stats must equal the stored ones exactly: if the
 * data or the engine changed since the job ran, its numbers are not what the board would show, and it is refused.
 */
async function rerunInSample(job: Job, board: Board, marketData: MarketData): Promise<{ inSample: { stats: Stats; provenance: ReturnType<typeof provenanceOf> }; dsr: EntryDeflatedSharpe }> {
  const bars = await marketData.load(board.symbol, board.timeframe, ...rangeOf(board.inSample));
  const spec = specFromRequest({ ...job.request, params: job.result!.params, sweep: undefined });
  const run = await runWithTrace(bars, spec);
  const stored = job.result!.stats;
  // Compared as JSON, which is how results are stored and served: exact for every finite double, and a non-finite
  // stat (NaN Sharpe without trades) reads back as null.
  const changed = (Object.keys(stored) as (keyof Stats)[]).filter((k) => JSON.stringify(stored[k]) !== JSON.stringify(run.stats[k]));
  if (changed.length > 0) {
    throw new ConflictError(
      `Job ${job.jobId}'s result no longer reproduces on the current data and engine (${changed.slice(0, 3).join(', ')} differ); run it again and publish the new job`,
    );
  }
  const moments = returnMoments(run.equity);
  const trials = Math.max(1, job.combinations);
  const { sharpes, basis } = trialSharpes(job);
  const dsr = deflatedSharpe(moments, trials, trialVariance(sharpes.map((s) => s / Math.sqrt(TRADING_DAYS))));
  return {
    inSample: { stats: run.stats, provenance: provenanceOf(bars) },
    dsr: {
      probability: dsr.probability,
      sharpe: moments.sharpe,
      expectedMaxSharpe: dsr.expectedMaxSharpe,
      trials,
      observations: moments.count,
      skewness: moments.skewness,
      kurtosis: moments.kurtosis,
      varianceBasis: basis,
    },
  };
}

/** Every trial's (annualised) Sharpe the stored result knows, and whether that is all of them. */
function trialSharpes(job: Job): { sharpes: number[]; basis: EntryDeflatedSharpe['varianceBasis'] } {
  const sweep = job.result?.sweep;
  if (!sweep || job.combinations <= 1) return { sharpes: [], basis: 'single' };
  if (sweep.metric === 'sharpe' && sweep.grid) return { sharpes: sweep.grid.metric.filter((v): v is number => v !== null), basis: 'all' };
  const top = sweep.top.map((row) => row.stats.sharpe);
  return { sharpes: top, basis: sweep.top.length >= job.combinations ? 'all' : 'top' };
}
