import type { Job } from '../job.ts';
import type { JobRepository, ThroughputSample, TierThroughput } from '../ports/job-repository.ts';
import { TIER_SETTINGS, type Tier, type TierSettings } from '../tiers.ts';
import { QUEUE_POSITION_SCAN, queuePosition } from './read-jobs.ts';

/**
 * Queue position and ETA (docs/fan-out.md). Both are estimates, and say so:
 * - the position counts queued jobs of the tier created earlier (SQS does not promise order; fair queues serve other
 *   users first while one user has a backlog, so a job may start before jobs "ahead" of it);
 * - the wait assumes every queued job ahead occupies one worker for one average delivery, so a fanned-out sweep
 *   ahead counts as one job (it really takes several slots for a shorter time: the same slot-seconds, roughly);
 * - the run time is the job's bar evaluations at the tier's measured speed, spread over its chunks.
 */

/** Weight of a new sample in the moving averages: about the last 20 deliveries count. */
export const THROUGHPUT_ALPHA = 0.1;

/**
 * Before any delivery of a tier was measured: one core of the dev machine runs sma-cross sweeps at 14-16 M bar
 * evaluations/s (work-estimate.ts); deliveries of small jobs take a few seconds with data loading.
 */
export const DEFAULT_THROUGHPUT: Omit<TierThroughput, 'updatedAt'> = { barEvaluationsPerSecond: 10e6, deliverySeconds: 5, samples: 0 };

/** The moving average after one more sample. */
export function foldThroughput(previous: TierThroughput | undefined, sample: ThroughputSample, now: string): TierThroughput {
  const seconds = Math.max(0.001, sample.seconds);
  const rate = sample.barEvaluations / seconds;
  if (!previous || previous.samples === 0) return { barEvaluationsPerSecond: rate, deliverySeconds: seconds, samples: 1, updatedAt: now };
  const mix = (old: number, value: number): number => old + THROUGHPUT_ALPHA * (value - old);
  return { barEvaluationsPerSecond: mix(previous.barEvaluationsPerSecond, rate), deliverySeconds: mix(previous.deliverySeconds, seconds), samples: previous.samples + 1, updatedAt: now };
}

export interface QueueSituation {
  /** Queued jobs of the tier ahead of this one. */
  ahead: number;
  /** Jobs of the tier running now (each holds at least one worker). */
  running: number;
  concurrency: number;
  throughput: Omit<TierThroughput, 'updatedAt'>;
}

/** Seconds to run `job` once it starts: its work at the measured speed, over as many workers as it has chunks. */
export function runSeconds(job: Pick<Job, 'barEvaluations' | 'chunks'>, situation: Pick<QueueSituation, 'concurrency' | 'throughput'>): number {
  const work = job.barEvaluations ?? 0;
  const lanes = Math.max(1, Math.min(job.chunks ?? 1, situation.concurrency));
  return work / Math.max(1, situation.throughput.barEvaluationsPerSecond) / lanes;
}

/** While queued: the wait for a worker plus the run; while running: the rest of the run. Whole seconds, at least 1. */
export function etaSeconds(job: Job, situation: QueueSituation, nowMs: number): number | undefined {
  if (job.status === 'queued') {
    // Slots are taken by the running jobs, then by the queued jobs ahead; each frees after one average delivery.
    const busy = situation.running + situation.ahead;
    const rounds = busy < situation.concurrency ? 0 : Math.floor((busy - situation.concurrency) / situation.concurrency) + 1;
    return Math.max(1, Math.round(rounds * situation.throughput.deliverySeconds + runSeconds(job, situation)));
  }
  if (job.status === 'running') return runningEta(job, nowMs, runSeconds(job, situation));
  return undefined;
}

/** A running job's remaining seconds: from its own pace once it has some progress, else from the estimate. */
export function runningEta(job: Pick<Job, 'progress' | 'startedAt'>, nowMs: number, estimate?: number): number | undefined {
  const started = job.startedAt ? Date.parse(job.startedAt) : Number.NaN;
  const elapsed = Number.isFinite(started) ? Math.max(0, (nowMs - started) / 1000) : undefined;
  if (elapsed !== undefined && job.progress >= 0.02 && job.progress < 1) return Math.max(1, Math.round((elapsed * (1 - job.progress)) / job.progress));
  if (estimate === undefined) return undefined;
  return Math.max(1, Math.round(estimate - (elapsed ?? 0)));
}

/** How many running jobs are read to see whether the tier's workers are all busy. */
const RUNNING_SCAN_SLACK = 1;

/** Position and ETA of a live job, from the tier's live jobs and its recent throughput (two Queries and one read). */
export async function queueEstimate(
  job: Job,
  jobs: JobRepository,
  nowMs: number,
  tiers: Readonly<Record<Tier, TierSettings>> = TIER_SETTINGS,
): Promise<{ queuePosition?: number; etaSeconds?: number }> {
  if (job.status !== 'queued' && job.status !== 'running') return {};
  const concurrency = tiers[job.tier].maxConcurrency;
  const [ahead, running, measured] = await Promise.all([
    job.status === 'queued' ? queuePosition(job, jobs) : Promise.resolve(0),
    job.status === 'queued' ? jobs.listLive(job.tier, 'running', concurrency + RUNNING_SCAN_SLACK).then((r) => r.length) : Promise.resolve(0),
    jobs.tierThroughput(job.tier),
  ]);
  const situation: QueueSituation = { ahead: ahead ?? 0, running, concurrency, throughput: measured ?? DEFAULT_THROUGHPUT };
  const eta = etaSeconds(job, situation, nowMs);
  return { ...(job.status === 'queued' ? { queuePosition: ahead ?? 0 } : {}), ...(eta !== undefined ? { etaSeconds: eta } : {}) };
}

/** The ETA a job of this work would get if it were submitted now (the dry run): behind every queued job of the tier. */
export async function etaIfSubmitted(
  job: Pick<Job, 'barEvaluations' | 'chunks' | 'tier'>,
  jobs: JobRepository,
  tiers: Readonly<Record<Tier, TierSettings>> = TIER_SETTINGS,
): Promise<{ queuePosition: number; etaSeconds: number }> {
  const concurrency = tiers[job.tier].maxConcurrency;
  const [queued, running, measured] = await Promise.all([
    jobs.listLive(job.tier, 'queued', QUEUE_POSITION_SCAN),
    jobs.listLive(job.tier, 'running', concurrency + RUNNING_SCAN_SLACK),
    jobs.tierThroughput(job.tier),
  ]);
  const situation: QueueSituation = { ahead: queued.length, running: running.length, concurrency, throughput: measured ?? DEFAULT_THROUGHPUT };
  const eta = etaSeconds({ ...job, status: 'queued' } as Job, situation, 0) ?? 1;
  return { queuePosition: queued.length, etaSeconds: eta };
}
