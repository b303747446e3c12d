import { randomUUID } from 'node:crypto';
import { EngineInputError, validateSpec } from '../../../engine/index.ts';
import { ServiceUnavailableError, ValidationError } from '../errors.ts';
import { newJob, type JobStatus } from '../job.ts';
import type { Principal } from '../principal.ts';
import { isoNow, type Clock } from '../ports/clock.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobRepository, SubmissionCharge } from '../ports/job-repository.ts';
import type { SubmitRateLimiter } from '../ports/submit-rate-limiter.ts';
import { SubmitRateExceededError } from '../submit-rate.ts';
import type { SymbolCatalog, SymbolEntry } from '../ports/symbol-catalog.ts';
import { submitRequestSchema, type SubmitRequest } from '../submit-schema.ts';
import { TIER_SETTINGS, type Tier, type TierSettings } from '../tiers.ts';
import { specFromRequest } from './backtest-spec.ts';
import { fieldIssues } from './field-issues.ts';
import { etaIfSubmitted } from './eta.ts';
import { jobLinks, type JobLinks } from './job-view.ts';
import { requestHash } from './request-hash.ts';
import { dataIssues, isSynthetic } from './symbols.ts';
import { estimateWork, planWork, type WorkPlan } from './work-estimate.ts';

/** How long an Idempotency-Key replays its job (DESIGN: 24 h). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export interface SubmitDeps {
  jobs: JobRepository;
  queue: JobQueue;
  clock: Clock;
  /** @default the tier table in tiers.ts */
  tiers?: Readonly<Record<Tier, TierSettings>>;
  /** @default crypto.randomUUID */
  newJobId?: () => string;
  /** Per-user submit token bucket (the tier's `submitRate`); absent = not limited beyond the daily cap. */
  rateLimiter?: SubmitRateLimiter;
  /**
   * The data that exists (cached): an unknown symbol or dates outside the data are refused here with a 400 instead
   * of a job that fails in the worker. Absent = not checked (the worker still fails such a job, unretried).
   */
  symbols?: SymbolCatalog;
}

export interface SubmitResponse {
  jobId: string;
  status: JobStatus;
  tier: Tier;
  createdAt: string;
  combinations: number;
  links: JobLinks;
  /** True when an earlier submit with the same Idempotency-Key and body created this job. */
  replayed: boolean;
}

/**
 * Validates a submit body, charges the caller and queues the job.
 *
 * If the job row is written but the queue send fails, the job is failed at once with a refund (code
 * `enqueue_failed`) and a ServiceUnavailableError tells the client to retry: nothing stays charged and no job sits
 * `queued` forever without a message. A retry under the same Idempotency-Key replays that failed job (the key
 * names one job); the 503 detail says to retry with a new key.
 */
export async function submitBacktest(principal: Principal, body: unknown, idempotencyKey: string | undefined, deps: SubmitDeps): Promise<SubmitResponse> {
  const tiers = deps.tiers ?? TIER_SETTINGS;
  const settings = tiers[principal.tier];
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError([{ path: 'Idempotency-Key', message: 'must be 1-128 printable ASCII characters without spaces' }]);
  }
  const parsed = submitRequestSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  const request = parsed.data;

  let combinations: number;
  try {
    combinations = validateSpec(specFromRequest(request)).combinations;
  } catch (error) {
    if (error instanceof EngineInputError) throw new ValidationError(error.issues);
    throw error;
  }
  const nowMs = deps.clock.now();
  const work = await checkedWorkPlan(principal, request, combinations, settings, nowMs, deps);

  // After validation (a malformed body costs no token), before any write: a flood is refused without a transaction.
  if (deps.rateLimiter) {
    const retryAfter = await deps.rateLimiter.take(principal.userId, settings.submitRate, nowMs);
    if (retryAfter !== undefined) throw new SubmitRateExceededError(settings.submitRate, retryAfter);
  }

  const now = isoNow(deps.clock);
  const job = newJob({
    jobId: (deps.newJobId ?? randomUUID)(),
    userId: principal.userId,
    tier: principal.tier,
    request,
    combinations,
    creditsCharged: work.credits,
    now,
    barEvaluations: work.barEvaluations,
    chunks: work.chunks,
  });
  const charge: SubmissionCharge = {
    credits: work.credits,
    dailyLimit: settings.dailySubmissions,
    day: now.slice(0, 10),
    initialCredits: settings.initialCredits,
    ...(idempotencyKey !== undefined
      ? { idempotency: { key: idempotencyKey, requestHash: requestHash(request), expiresAt: Math.floor(nowMs / 1000) + IDEMPOTENCY_TTL_SECONDS } }
      : {}),
  };
  const outcome = await deps.jobs.create(job, charge);
  if (outcome.kind === 'replayed') return responseFor(outcome.job, true);

  try {
    await deps.queue.enqueue({ jobId: job.jobId, userId: job.userId, tier: job.tier });
  } catch (error) {
    await deps.jobs.fail(job.jobId, 0, { code: 'enqueue_failed', message: 'The job could not be queued; it was not charged' }, isoNow(deps.clock));
    throw new ServiceUnavailableError(
      'The job queue is unavailable; the job was not queued and not charged. Retry later (with a new Idempotency-Key if you sent one).',
      { cause: error },
    );
  }
  return responseFor(outcome.job, false);
}

/** What `POST /backtests?dryRun=true` answers: the job's work, price and ETA as submit would see them now. */
export interface SubmitEstimate {
  dryRun: true;
  tier: Tier;
  combinations: number;
  /** Bars the request covers, as the data really has them (`barsFrom` says how they were counted). */
  bars: number;
  barsFrom: WorkPlan['barsFrom'];
  barEvaluations: number;
  /** Slices of the grid the tier's workers would run in parallel (1: one worker, no fan-out). */
  chunks: number;
  /** What submit would charge. */
  credits: number;
  /** Queued jobs of the tier it would wait behind, and seconds until it would be done (eta.ts). */
  queuePosition: number;
  etaSeconds: number;
  limits: { maxCombinations: number; maxBarEvaluations: number; chunkBarEvaluations: number };
}

/**
 * The dry run of a submit: the same validation, data checks and tier limits, and the work plan, with no job, no
 * charge, no daily count and no rate-limit token. A body submit would refuse is refused here the same way.
 */
export async function estimateSubmit(principal: Principal, body: unknown, deps: Pick<SubmitDeps, 'jobs' | 'clock' | 'symbols' | 'tiers'>): Promise<SubmitEstimate> {
  const tiers = deps.tiers ?? TIER_SETTINGS;
  const settings = tiers[principal.tier];
  const parsed = submitRequestSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  const request = parsed.data;
  let combinations: number;
  try {
    combinations = validateSpec(specFromRequest(request)).combinations;
  } catch (error) {
    if (error instanceof EngineInputError) throw new ValidationError(error.issues);
    throw error;
  }
  const work = await checkedWorkPlan(principal, request, combinations, settings, deps.clock.now(), deps);
  const chunks = work.chunks > 1 ? work.chunks : undefined;
  const { queuePosition, etaSeconds } = await etaIfSubmitted({ tier: principal.tier, barEvaluations: work.barEvaluations, chunks }, deps.jobs, tiers);
  return {
    dryRun: true,
    tier: principal.tier,
    combinations,
    bars: work.bars,
    barsFrom: work.barsFrom,
    barEvaluations: work.barEvaluations,
    chunks: work.chunks,
    credits: work.credits,
    queuePosition,
    etaSeconds,
    limits: { maxCombinations: settings.maxCombinations, maxBarEvaluations: settings.maxBarEvaluations, chunkBarEvaluations: settings.chunkBarEvaluations },
  };
}

/**
 * The checks of a submit that need the data and the tier (symbol, dates, grid size, work), and the job's work plan:
 * its bars as the data really has them, its chunks and its price. Shared by submit and its dry run.
 */
async function checkedWorkPlan(
  principal: Principal,
  request: SubmitRequest,
  combinations: number,
  settings: TierSettings,
  nowMs: number,
  deps: Pick<SubmitDeps, 'symbols'>,
): Promise<WorkPlan> {
  let entry: SymbolEntry | undefined;
  // SYNTH-* always exists: no listing needed, so synthetic submits never depend on the data store.
  if (deps.symbols && !isSynthetic(request.symbol)) {
    let entries;
    try {
      entries = await deps.symbols.list();
    } catch (error) {
      throw new ServiceUnavailableError('The market data listing is unavailable, so the symbol cannot be checked; nothing was charged. Retry shortly.', { cause: error });
    }
    const issues = dataIssues(request, entries);
    if (issues.length > 0) throw new ValidationError(issues);
    entry = entries.find((e) => e.symbol.toUpperCase() === request.symbol.toUpperCase() && e.timeframe === request.timeframe);
  }
  if (combinations > settings.maxCombinations) {
    throw new ValidationError([
      { path: 'params', message: `expands to ${combinations} combinations; the ${principal.tier} tier allows at most ${settings.maxCombinations}` },
    ]);
  }
  const work = estimateWork(request, combinations, nowMs, entry);
  if (work.barEvaluations > settings.maxBarEvaluations) {
    throw new ValidationError([
      {
        path: combinations > 1 ? 'params' : 'startDate',
        message: `about ${work.bars} bars x ${combinations} combination(s) is more than one ${principal.tier} job may compute (${settings.maxBarEvaluations} bar evaluations); narrow the dates or the grid`,
      },
    ]);
  }
  return planWork(work, settings);
}

function responseFor(job: { jobId: string; status: JobStatus; tier: Tier; createdAt: string; combinations: number }, replayed: boolean): SubmitResponse {
  return { jobId: job.jobId, status: job.status, tier: job.tier, createdAt: job.createdAt, combinations: job.combinations, links: jobLinks(job.jobId), replayed };
}
