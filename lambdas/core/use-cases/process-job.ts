import * as z from '../../../engine/zod-mini.ts';
import { EngineInputError, runBacktest, UnknownSymbolError } from '../../../engine/index.ts';
import { provenanceOf, type RunProvenance } from '../../../engine/fingerprint.ts';
import type { BacktestResult } from '../../../engine/types.ts';
import { UnrecoverableJobError } from '../errors.ts';
import { isFannedOut, type Job, type JobError } from '../job.ts';
import { dispatchChunks, processChunk } from './fan-out.ts';
import { MAX_STORED_TRADES, type JobResult } from '../job-result.ts';
import { isoNow, type Clock } from '../ports/clock.ts';
import type { JobMessage, JobQueue } from '../ports/job-queue.ts';
import type { JobRepository, ThroughputSample } from '../ports/job-repository.ts';
import type { MarketData } from '../ports/market-data.ts';
import { MAX_RECEIVE_COUNT, retryDelaySeconds, TIERS } from '../tiers.ts';
import { requestRangeMs, specFromRequest } from './backtest-spec.ts';
import { RunWatch, type AbortReason } from './run-watch.ts';

/** Progress is written at most this often (plus the final value), so a long sweep writes ~4 items/s, not thousands. */
export const PROGRESS_INTERVAL_MS = 250;
/** How often a running job re-reads its row for a cancel request when progress writes are sparse. */
export const CANCEL_POLL_MS = 500;
/** Retry delays get up to this fraction added at random, so jobs that failed together do not retry together. */
export const RETRY_JITTER = 0.25;

export const jobMessageSchema = z.object({
  jobId: z.string().check(z.minLength(1)).check(z.maxLength(128)),
  userId: z.string().check(z.minLength(1)),
  tier: z.enum(TIERS),
  /** A fanned-out sweep's chunk (fan-out.ts); absent on a job's own message. */
  chunk: z.optional(z.number().check(z.int()).check(z.gte(0)).check(z.lte(100_000))),
});

export type ProcessOutcome =
  /** The job reached a final state this attempt: delete the message. */
  | { kind: 'done'; status: 'succeeded' | 'failed' | 'cancelled' }
  /** Nothing to do (finished, cancelled, missing, or a newer attempt owns it): delete the message. */
  | { kind: 'skip'; reason: string }
  /** The attempt failed and the job is queued again: redeliver the message after `delaySeconds`. */
  | { kind: 'retry'; delaySeconds: number }
  /** The last attempt failed and the job is failed: let the queue move the message to its DLQ. */
  | { kind: 'dead'; reason: string }
  /** A fanned-out sweep's chunk messages were sent (fan-out.ts): delete the job's own message. */
  | { kind: 'dispatched'; chunks: number }
  /** A chunk's partial result was stored (`recorded`) or already was (a duplicate); the job goes on: delete the message. */
  | { kind: 'chunk'; recorded: boolean };

export interface ProcessJobDeps {
  jobs: JobRepository;
  /** The tier queues, for fanned-out sweeps: the dispatch sends one message per chunk. */
  queue?: JobQueue;
  /** How often a chunk writes its progress. @default CHUNK_PROGRESS_INTERVAL_MS (fan-out.ts) */
  chunkProgressIntervalMs?: number;
  marketData: MarketData;
  clock: Clock;
  /** @default Math.random */
  random?: () => number;
  /** @default PROGRESS_INTERVAL_MS */
  progressIntervalMs?: number;
  /** @default CANCEL_POLL_MS */
  cancelPollMs?: number;
  /** Epoch ms by which the attempt must have stopped (the Lambda timeout minus a margin): the run is aborted and retried. */
  deadline?: number;
  /** Receives errors that are handled (retried, or progress writes that failed) so the handler can log them. */
  onError?: (error: unknown, context: string) => void;
  /**
   * Receives what a claimed attempt measured, once, after its outcome is stored; the handler turns it into metrics,
   * so the core knows nothing of a metrics API. Not called for deliveries that claimed nothing (skip, malformed).
   */
  onAttempt?: (report: AttemptReport) => void;
}

/** Facts of one claimed attempt that the outcome does not carry. */
export interface AttemptReport {
  attempt: number;
  /** When the job was submitted (Job.createdAt); with `claimedAt`, the first attempt's queue wait. */
  createdAt: string;
  /** When this attempt claimed the job. */
  claimedAt: string;
  /** Bars the engine was handed; absent when loading failed or the run never started. */
  bars?: number;
  /** Wall time of the run, data load included, until it finished or was aborted; absent when it never started. */
  runMs?: number;
}


class AttemptTimeoutError extends Error {
  override name = 'AttemptTimeoutError';
}

/**
 * Runs one delivery of a queue message: claims the job for this attempt, runs the engine with throttled progress
 * and cancellation, and stores the outcome. Every write is conditional on this attempt still owning the job, so a
 * duplicate or stale delivery changes nothing.
 */
export async function processJob(message: unknown, attempt: number, deps: ProcessJobDeps): Promise<ProcessOutcome> {
  const parsed = jobMessageSchema.safeParse(message);
  // A message we cannot read names no job: park it in the DLQ for a human instead of dropping it.
  if (!parsed.success) return { kind: 'dead', reason: 'malformed message' };
  const { jobId, chunk } = parsed.data satisfies JobMessage;
  const { jobs, clock } = deps;
  if (chunk !== undefined) return processChunk({ ...parsed.data, chunk }, attempt, deps);

  const claimedAt = isoNow(clock);
  const claim = await jobs.claim(jobId, attempt, claimedAt);
  if (claim.kind === 'skip') return { kind: 'skip', reason: claim.reason };
  const job = claim.job;
  const report: AttemptReport = { attempt, createdAt: job.createdAt, claimedAt };
  try {
    return await processClaimed(job, attempt, deps, report);
  } finally {
    try {
      deps.onAttempt?.(report);
    } catch (error) {
      // Reporting must never change what happened to the job.
      deps.onError?.(error, 'attempt report failed');
    }
  }
}

async function processClaimed(job: Job, attempt: number, deps: ProcessJobDeps, report: AttemptReport): Promise<ProcessOutcome> {
  const { jobs, clock } = deps;
  const { jobId } = job;
  if (job.cancelRequested) return confirmCancel(jobId, attempt, deps);
  if (isFannedOut(job)) {
    try {
      return await dispatchChunks(job, attempt, deps);
    } catch (error) {
      // A send that failed: the whole dispatch retries (2/4/8 s); chunks already sent are harmless duplicates.
      return handleFailure(error, undefined, job, attempt, deps);
    }
  }

  const run = new AttemptRun(job, attempt, deps, report);
  try {
    const result = await run.execute();
    await run.stop();
    if (run.abortReason === 'cancel') return confirmCancel(jobId, attempt, deps);
    const stored = await jobs.complete(jobId, attempt, toJobResult(result), isoNow(clock));
    if (stored && report.bars !== undefined && report.runMs !== undefined) {
      await recordThroughput(job.tier, { barEvaluations: report.bars * job.combinations, seconds: report.runMs / 1000 }, deps);
    }
    return stored ? { kind: 'done', status: 'succeeded' } : { kind: 'skip', reason: 'lost ownership' };
  } catch (error) {
    await run.stop();
    return handleFailure(error, run.abortReason, job, attempt, deps);
  }
}

async function handleFailure(error: unknown, abortReason: AbortReason | undefined, job: Job, attempt: number, deps: ProcessJobDeps): Promise<ProcessOutcome> {
  const { jobs, clock } = deps;
  if (abortReason === 'cancel') return confirmCancel(job.jobId, attempt, deps);
  if (abortReason === 'lost') return { kind: 'skip', reason: 'lost ownership' };

  const unrecoverable = unrecoverableError(error);
  if (unrecoverable) {
    const failed = await jobs.fail(job.jobId, attempt, unrecoverable, isoNow(clock));
    return failed ? { kind: 'done', status: 'failed' } : { kind: 'skip', reason: 'lost ownership' };
  }

  deps.onError?.(error, `attempt ${attempt} of job ${job.jobId} failed`);
  // A cancel that arrived while the attempt was failing wins over a retry.
  const current = await jobs.get(job.jobId);
  if (current?.cancelRequested) return confirmCancel(job.jobId, attempt, deps);

  const reason = abortReason === 'timeout' || error instanceof AttemptTimeoutError ? 'worker timeout' : 'internal error';
  if (attempt < MAX_RECEIVE_COUNT) {
    const delaySeconds = retryDelayWithJitter(attempt, deps.random ?? Math.random);
    const message = `Attempt ${attempt} failed (${reason}); retrying in about ${delaySeconds} s`;
    const requeued = await jobs.scheduleRetry(job.jobId, attempt, message, isoNow(clock));
    return requeued ? { kind: 'retry', delaySeconds } : { kind: 'skip', reason: 'lost ownership' };
  }
  const jobError: JobError = { code: 'retries_exhausted', message: `Failed after ${attempt} attempts (last: ${reason})` };
  const failed = await jobs.fail(job.jobId, attempt, jobError, isoNow(clock));
  return failed ? { kind: 'dead', reason: jobError.message } : { kind: 'skip', reason: 'lost ownership' };
}

/** Feeds the tier's throughput (queue ETAs); a failed write is logged and never changes the job. */
export async function recordThroughput(tier: Job['tier'], sample: ThroughputSample, deps: Pick<ProcessJobDeps, 'jobs' | 'clock' | 'onError'>): Promise<void> {
  try {
    await deps.jobs.recordThroughput(tier, sample, isoNow(deps.clock));
  } catch (error) {
    deps.onError?.(error, 'throughput write failed');
  }
}

/**
 * Delay before the next delivery after failed attempt `attempt` (1-based): 2, 4, 8 s plus 0..25 % jitter, in whole
 * seconds because SQS visibility timeouts are whole seconds.
 */
export function retryDelayWithJitter(attempt: number, random: () => number): number {
  const base = retryDelaySeconds(attempt);
  return Math.round(base * (1 + RETRY_JITTER * Math.min(1, Math.max(0, random()))));
}

export function unrecoverableError(error: unknown): JobError | undefined {
  if (error instanceof UnknownSymbolError) return { code: 'unknown_symbol', message: truncate(error.message) };
  if (error instanceof EngineInputError) return { code: 'invalid_spec', message: truncate(error.message) };
  if (error instanceof UnrecoverableJobError) return { code: error.code, message: truncate(error.message) };
  return undefined;
}

async function confirmCancel(jobId: string, attempt: number, deps: ProcessJobDeps): Promise<ProcessOutcome> {
  const cancelled = await deps.jobs.confirmCancelled(jobId, attempt, isoNow(deps.clock));
  return cancelled ? { kind: 'done', status: 'cancelled' } : { kind: 'skip', reason: 'lost ownership' };
}

export function toJobResult(result: BacktestResult & { provenance?: RunProvenance }): JobResult {
  return {
    params: result.params,
    stats: result.stats,
    trades: result.trades.slice(0, MAX_STORED_TRADES),
    tradesTotal: result.tradesTotal,
    equityCurve: result.equityCurve,
    ...(result.sweep ? { sweep: result.sweep } : {}),
    ...(result.provenance ? { provenance: result.provenance } : {}),
  };
}

function truncate(text: string, max = 1000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One attempt's engine run with its progress writer, cancel poll and deadline. */
class AttemptRun {
  readonly #job: Job;
  readonly #attempt: number;
  readonly #deps: ProcessJobDeps;
  readonly #report: AttemptReport;
  readonly #watch: RunWatch;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #written = 0;
  #pending: number | undefined;
  #writing: Promise<void> | undefined;

  constructor(job: Job, attempt: number, deps: ProcessJobDeps, report: AttemptReport) {
    this.#job = job;
    this.#attempt = attempt;
    this.#deps = deps;
    this.#report = report;
    // The attempt is still ours while the job runs on this attempt (a redelivery may have claimed the next one).
    this.#watch = new RunWatch({
      jobs: deps.jobs, jobId: job.jobId, stillOurs: (stored) => stored.status === 'running' && stored.attempts === attempt,
      pollMs: deps.cancelPollMs ?? CANCEL_POLL_MS, deadline: deps.deadline, clock: deps.clock, onError: deps.onError,
    });
  }

  get abortReason(): AbortReason | undefined {
    return this.#watch.reason;
  }

  async execute(): Promise<BacktestResult & { provenance: RunProvenance }> {
    const started = this.#deps.clock.now();
    try {
      return await this.#execute();
    } finally {
      this.#report.runMs = Math.max(0, this.#deps.clock.now() - started);
    }
  }

  async #execute(): Promise<BacktestResult & { provenance: RunProvenance }> {
    const { request } = this.#job;
    this.#watch.start();
    const { startMs, endMs } = requestRangeMs(request);
    const bars = await this.#deps.marketData.load(request.symbol, request.timeframe, startMs, endMs);
    if (this.abortReason) throw this.#abortError();
    if (bars.length === 0) {
      throw new UnrecoverableJobError('no_data', `No ${request.timeframe} bars for ${request.symbol} in the requested dates`);
    }
    this.#report.bars = bars.length;
    const result = await runBacktest(bars, specFromRequest(request), {
      signal: this.#watch.signal,
      onProgress: (fraction) => this.#progress(fraction),
      // Only the stored trades are built; tradesTotal and the stats still count every trade.
      maxTrades: MAX_STORED_TRADES,
    });
    // Always write the last value the engine reported, so clients see 100 % before the result.
    await this.#flush();
    // Every result records the engine version and the fingerprint of the bars it ran on (docs/leaderboard.md).
    return { ...result, provenance: provenanceOf(bars) };
  }

  /** Stops the timers and waits for a progress write in flight, so nothing is written after the outcome. */
  async stop(): Promise<void> {
    this.#watch.stop();
    await this.#writing;
  }

  #abortError(): Error {
    return this.abortReason === 'timeout' ? new AttemptTimeoutError('the attempt ran out of time') : new Error(`aborted: ${this.abortReason}`);
  }

  #progress(fraction: number): void {
    this.#pending = fraction;
    if (this.#writing) return;
    const interval = this.#deps.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
    if (this.#deps.clock.now() - this.#lastWriteAt < interval) return;
    this.#write();
  }

  async #flush(): Promise<void> {
    await this.#writing;
    if (this.#pending !== undefined && this.#pending > this.#written) this.#write();
    await this.#writing;
  }

  #write(): void {
    const fraction = this.#pending;
    if (fraction === undefined) return;
    this.#pending = undefined;
    this.#written = fraction;
    this.#lastWriteAt = this.#deps.clock.now();
    const message = progressMessage(this.#job, fraction);
    this.#writing = this.#deps.jobs
      .saveProgress(this.#job.jobId, this.#attempt, fraction, message, isoNow(this.#deps.clock))
      .then(({ owned, cancelRequested }) => {
        if (!owned) this.#watch.abort('lost');
        else if (cancelRequested) this.#watch.abort('cancel');
      })
      .catch((error: unknown) => {
        // A lost progress write is not worth failing a job for; the next one or the result will land.
        this.#deps.onError?.(error, 'progress write failed');
      })
      .finally(() => {
        this.#writing = undefined;
      });
  }
}

function progressMessage(job: Job, fraction: number): string {
  const pct = `${Math.floor(fraction * 100)}%`;
  return job.combinations > 1
    ? `Sweeping ${job.combinations} combinations on ${job.request.symbol}: ${pct}`
    : `Backtesting ${job.request.symbol}: ${pct}`;
}
