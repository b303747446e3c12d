import { provenanceOf } from '../../../engine/fingerprint.ts';
import { mergeSweepSlices, runSweepSlice, runSweepWinner, type SweepSlice } from '../../../engine/index.ts';
import { UnrecoverableJobError } from '../errors.ts';
import { isTerminal, RETRIES_EXHAUSTED, type Job, type JobError } from '../job.ts';
import { isoNow } from '../ports/clock.ts';
import type { JobMessage, JobQueue } from '../ports/job-queue.ts';
import { MAX_RECEIVE_COUNT } from '../tiers.ts';
import { requestRangeMs, specFromRequest } from './backtest-spec.ts';
import { recordThroughput, retryDelayWithJitter, toJobResult, unrecoverableError, type ProcessJobDeps, type ProcessOutcome } from './process-job.ts';
import { RunWatch, type AbortReason } from './run-watch.ts';
import { chunkRange } from './work-estimate.ts';

/**
 * Fanned-out sweeps (docs/fan-out.md). A job whose work is above its tier's chunk budget has `chunks > 1`. Its one
 * submit message is the dispatch: the worker that claims it sends one message per chunk (a slice of the parameter
 * grid) to the same tier queue, so chunks run on the tier's ordinary workers under its priority and concurrency.
 * Each chunk stores its partial top-N and metrics (fan-in, counted once by a conditional write); whoever records the
 * last chunk merges them, re-runs the winner for its trades and curve, and completes the job.
 */

/** Chunk progress is written at most this often per chunk: many chunks write to one job item. */
export const CHUNK_PROGRESS_INTERVAL_MS = 1000;
/** Chunk messages sent at once by a dispatch. */
const DISPATCH_PARALLEL_SENDS = 10;

export interface FanOutDeps extends ProcessJobDeps {
  /** The tier queues: a dispatch sends the chunk messages here. */
  queue?: JobQueue;
  /** @default CHUNK_PROGRESS_INTERVAL_MS */
  chunkProgressIntervalMs?: number;
}

/** Sends a message for every chunk not yet recorded. Called with the job claimed by this attempt. */
export async function dispatchChunks(job: Job, attempt: number, deps: FanOutDeps): Promise<ProcessOutcome> {
  const { jobs, clock } = deps;
  const chunks = job.chunks ?? 1;
  // Every chunk already recorded (their merge found the job waiting for this retry, so it could not complete it): merge.
  if ((job.chunksDone ?? 0) >= chunks) return finish(job.jobId, deps);
  if (!deps.queue) throw new Error('the worker has no job queue to fan a sweep out on');
  const pending: JobMessage[] = [];
  for (let chunk = 0; chunk < chunks; chunk++) {
    // A re-dispatch (crash, sweeper recovery, operator requeue) sends only what is still missing.
    if (job.chunkProgress?.[String(chunk)] !== 1) pending.push({ jobId: job.jobId, userId: job.userId, tier: job.tier, chunk });
  }
  const queue = deps.queue;
  for (let i = 0; i < pending.length; i += DISPATCH_PARALLEL_SENDS) {
    await Promise.all(pending.slice(i, i + DISPATCH_PARALLEL_SENDS).map((m) => queue.enqueue(m)));
  }
  const message = fanOutMessage(job, chunks - pending.length);
  const { owned, cancelRequested } = await jobs.saveProgress(job.jobId, attempt, 0, message, isoNow(clock));
  if (!owned) return { kind: 'skip', reason: 'lost ownership' };
  // A cancel that arrived while the chunks were being sent: the progress write above has just replaced its
  // "Cancelling" with the sweep's message, so the dispatcher confirms the cancel itself now (every chunk then drops as
  // terminal) instead of leaving the job saying "Sweeping" until the first chunk runs.
  if (cancelRequested) return confirmCancel(job.jobId, deps);
  return { kind: 'dispatched', chunks: pending.length };
}

function fanOutMessage(job: Pick<Job, 'combinations' | 'chunks' | 'request'>, done: number): string {
  return `Sweeping ${job.combinations} combinations on ${job.request.symbol} in ${job.chunks} chunks: ${done} done`;
}


/** One delivery of one chunk message. */
export async function processChunk(message: JobMessage & { chunk: number }, attempt: number, deps: FanOutDeps): Promise<ProcessOutcome> {
  const { jobs } = deps;
  const job = await jobs.get(message.jobId);
  if (!job) return { kind: 'skip', reason: 'missing' };
  // Cancelled, failed or merged: every chunk message left over is dropped here (cancel stops every chunk).
  if (isTerminal(job.status)) return { kind: 'skip', reason: 'terminal' };
  const chunks = job.chunks ?? 1;
  if (chunks <= 1 || message.chunk >= chunks) return { kind: 'dead', reason: `job ${job.jobId} has no chunk ${message.chunk}` };
  if (job.cancelRequested) return confirmCancel(job.jobId, deps);
  // A duplicate delivery of a recorded chunk: nothing to compute; it may still owe the merge (its first run crashed
  // between recording and merging).
  if (job.chunkProgress?.[String(message.chunk)] === 1) {
    return (job.chunksDone ?? 0) >= chunks ? finish(job.jobId, deps) : { kind: 'skip', reason: 'chunk already recorded' };
  }

  const run = new ChunkRun(job, message.chunk, deps);
  const started = deps.clock.now();
  let slice: SweepSlice;
  try {
    slice = await run.execute();
  } catch (error) {
    await run.stop();
    return chunkFailed(error, run.abortReason, job, message.chunk, attempt, deps);
  }
  await run.stop();
  if (run.abortReason === 'cancel') return confirmCancel(job.jobId, deps);
  const recorded = await jobs.recordChunk(job.jobId, message.chunk, encodeSlice(slice), isoNow(deps.clock));
  if (recorded.kind === 'gone') return { kind: 'skip', reason: 'terminal' };
  if (recorded.kind === 'recorded' && run.bars !== undefined) {
    const { from, to } = chunkRange(message.chunk, chunks, job.combinations);
    await recordThroughput(job.tier, { barEvaluations: run.bars * (to - from), seconds: (deps.clock.now() - started) / 1000 }, deps);
  }
  if (recorded.chunksDone >= chunks) return finish(job.jobId, deps);
  return { kind: 'chunk', recorded: recorded.kind === 'recorded' };
}

async function chunkFailed(error: unknown, abortReason: AbortReason | undefined, job: Job, chunk: number, attempt: number, deps: FanOutDeps): Promise<ProcessOutcome> {
  if (abortReason === 'cancel') return confirmCancel(job.jobId, deps);
  if (abortReason === 'lost') return { kind: 'skip', reason: 'terminal' };
  const unrecoverable = unrecoverableError(error);
  if (unrecoverable) return failJob(job.jobId, unrecoverable, 'done', deps);
  deps.onError?.(error, `chunk ${chunk} of job ${job.jobId}, attempt ${attempt}, failed`);
  const current = await deps.jobs.get(job.jobId);
  if (!current || isTerminal(current.status)) return { kind: 'skip', reason: 'terminal' };
  if (current.cancelRequested) return confirmCancel(job.jobId, deps);
  const reason = abortReason === 'timeout' ? 'worker timeout' : 'internal error';
  // Only this chunk retries (its own message, 2/4/8 s); the job and its other chunks carry on.
  if (attempt < MAX_RECEIVE_COUNT) return { kind: 'retry', delaySeconds: retryDelayWithJitter(attempt, deps.random ?? Math.random) };
  return failJob(job.jobId, { code: RETRIES_EXHAUSTED, message: `Chunk ${chunk + 1} of ${job.chunks} failed after ${attempt} attempts (last: ${reason})` }, 'dead', deps);
}

/** Fails the job with a refund (the repository's one refunding transition); `dead` parks the chunk's message in the DLQ. */
async function failJob(jobId: string, error: JobError, as: 'done' | 'dead', deps: FanOutDeps): Promise<ProcessOutcome> {
  const current = await deps.jobs.get(jobId);
  if (!current || isTerminal(current.status)) return { kind: 'skip', reason: 'terminal' };
  const failed = await deps.jobs.fail(jobId, current.attempts, error, isoNow(deps.clock));
  if (!failed) return { kind: 'skip', reason: 'lost ownership' };
  return as === 'dead' ? { kind: 'dead', reason: error.message } : { kind: 'done', status: 'failed' };
}

async function confirmCancel(jobId: string, deps: FanOutDeps): Promise<ProcessOutcome> {
  const current = await deps.jobs.get(jobId);
  if (!current || isTerminal(current.status)) return { kind: 'skip', reason: 'terminal' };
  const cancelled = await deps.jobs.confirmCancelled(jobId, current.attempts, isoNow(deps.clock));
  return cancelled ? { kind: 'done', status: 'cancelled' } : { kind: 'skip', reason: 'lost ownership' };
}

/**
 * The merge, run by whoever saw the last chunk recorded (or by a redelivery of it after a crash): the slices give
 * the whole sweep's top rows, best parameters and grid; the winner is re-run for its trades and curve, exactly as
 * a single-process sweep re-runs it. Two mergers racing compute the same result and the job's conditional
 * completion keeps the first.
 */
async function finish(jobId: string, deps: FanOutDeps): Promise<ProcessOutcome> {
  const { jobs, clock } = deps;
  const job = await jobs.get(jobId);
  if (!job || isTerminal(job.status)) return { kind: 'skip', reason: 'terminal' };
  const chunks = job.chunks ?? 1;
  const partials = await jobs.chunkPartials(jobId, chunks);
  const missing = partials.findIndex((p) => p === undefined);
  if (missing >= 0) throw new Error(`job ${jobId} counts ${job.chunksDone} chunks done but chunk ${missing} has no partial`);
  const spec = specFromRequest(job.request);
  try {
    const { best, sweep } = mergeSweepSlices(spec, partials.map((p) => decodeSlice(p!)));
    const { startMs, endMs } = requestRangeMs(job.request);
    const bars = await deps.marketData.load(job.request.symbol, job.request.timeframe, startMs, endMs);
    const winner = await runSweepWinner(bars, spec, best.params);
    const completed = await jobs.complete(jobId, job.attempts, toJobResult({ ...winner, sweep, provenance: provenanceOf(bars) }), isoNow(clock));
    return completed ? { kind: 'done', status: 'succeeded' } : { kind: 'skip', reason: 'lost ownership' };
  } catch (error) {
    const unrecoverable = unrecoverableError(error);
    if (unrecoverable) return failJob(jobId, unrecoverable, 'done', deps);
    throw error;
  }
}

/**
 * A partial as JSON that keeps NaN and ±Infinity (a profit factor with no losing trade is Infinity, a Sharpe ratio of
 * a flat curve NaN): plain JSON would turn them into null and the merge would rank them differently from one process.
 */
export function encodeSlice(slice: SweepSlice): string {
  return JSON.stringify(slice, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? { '~n': String(value) } : value));
}

export function decodeSlice(text: string): SweepSlice {
  return JSON.parse(text, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { '~n'?: unknown })['~n'] === 'string' && Object.keys(value).length === 1
      ? Number((value as { '~n': string })['~n'])
      : value,
  ) as SweepSlice;
}

/** One chunk's engine run with throttled progress, a cancel poll and the attempt's deadline. */
class ChunkRun {
  /** Bars the engine was handed, once loaded. */
  bars: number | undefined;
  readonly #job: Job;
  readonly #chunk: number;
  readonly #deps: FanOutDeps;
  readonly #watch: RunWatch;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #writing: Promise<void> | undefined;

  constructor(job: Job, chunk: number, deps: FanOutDeps) {
    this.#job = job;
    this.#chunk = chunk;
    this.#deps = deps;
    // A chunk is still ours while the job is not finished (chunks of one job run under many attempts at once).
    this.#watch = new RunWatch({
      jobs: deps.jobs, jobId: job.jobId, stillOurs: (stored) => !isTerminal(stored.status),
      pollMs: deps.cancelPollMs ?? 500, deadline: deps.deadline, clock: deps.clock, onError: deps.onError,
    });
  }

  get abortReason(): AbortReason | undefined {
    return this.#watch.reason;
  }

  async execute(): Promise<SweepSlice> {
    const { request } = this.#job;
    this.#watch.start();
    const { startMs, endMs } = requestRangeMs(request);
    const bars = await this.#deps.marketData.load(request.symbol, request.timeframe, startMs, endMs);
    if (this.abortReason) throw new Error(`aborted: ${this.abortReason}`);
    if (bars.length === 0) throw new UnrecoverableJobError('no_data', `No ${request.timeframe} bars for ${request.symbol} in the requested dates`);
    this.bars = bars.length;
    const { from, to } = chunkRange(this.#chunk, this.#job.chunks ?? 1, this.#job.combinations);
    return runSweepSlice(bars, specFromRequest(request), from, to, { signal: this.#watch.signal, onProgress: (f) => this.#progress(f) });
  }

  async stop(): Promise<void> {
    this.#watch.stop();
    await this.#writing;
  }

  #progress(fraction: number): void {
    // The final 1 is written by recordChunk, in the same transaction that counts the chunk.
    if (this.#writing || fraction >= 1) return;
    const interval = this.#deps.chunkProgressIntervalMs ?? CHUNK_PROGRESS_INTERVAL_MS;
    if (this.#deps.clock.now() - this.#lastWriteAt < interval) return;
    this.#lastWriteAt = this.#deps.clock.now();
    this.#writing = this.#deps.jobs
      .saveChunkProgress(this.#job.jobId, this.#chunk, fraction, isoNow(this.#deps.clock))
      .then(({ live, cancelRequested }) => {
        if (!live) this.#watch.abort('lost');
        else if (cancelRequested) this.#watch.abort('cancel');
      })
      .catch((error: unknown) => this.#deps.onError?.(error, 'chunk progress write failed'))
      .finally(() => {
        this.#writing = undefined;
      });
  }
}
