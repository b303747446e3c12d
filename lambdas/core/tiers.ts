/**
 * The one tier table. The CDK stack (queues, event source mappings, reserved concurrency), the local stack
 * (pollers) and the API (rate limits, credits) all read it, so a tier's settings cannot drift between them.
 */
export const TIERS = ['free', 'basic', 'pro'] as const;
export type Tier = (typeof TIERS)[number];

export interface TierSettings {
  /** Most worker invocations at once for this tier (event source mapping maxConcurrency, reserved concurrency). */
  readonly maxConcurrency: number;
  /** Submissions allowed per user per UTC day; `null` means unlimited. */
  readonly dailySubmissions: number | null;
  /** Credits one job costs, debited at submit and refunded once if the job fails or is cancelled. */
  readonly creditsPerJob: number;
  /** Credits a new user of this tier starts with. */
  readonly initialCredits: number;
  /** Worker memory in MB (more memory is more CPU on Lambda). */
  readonly workerMemoryMb: number;
  /** Largest parameter grid (number of combinations) accepted at submit. */
  readonly maxCombinations: number;
  /** Per-user submit token bucket (the short-term rate; `dailySubmissions` is the daily cap). */
  readonly submitRate: { readonly perMinute: number; readonly burst: number };
  /**
   * Most bar evaluations (bars x combinations) one job may ask for; above `chunkBarEvaluations` a sweep is fanned out
   * over the tier's workers in chunks (docs/fan-out.md has the measurements behind these numbers).
   */
  readonly maxBarEvaluations: number;
  /** Work one chunk (one worker invocation) is given at most: well inside WORKER_TIMEOUT_SECONDS on the tier's memory. */
  readonly chunkBarEvaluations: number;
  /**
   * Work up to this runs as one job on one worker, exactly as before fan-out existed (1e8: the old single-job limit,
   * about 12 s on a 1 GB worker); only bigger sweeps are cut into chunks of `chunkBarEvaluations`.
   */
  readonly fanOutAboveBarEvaluations: number;
}

export const TIER_SETTINGS: Readonly<Record<Tier, TierSettings>> = {
  free: { maxConcurrency: 5, dailySubmissions: 3, creditsPerJob: 1, initialCredits: 10, workerMemoryMb: 1024, maxCombinations: 100, submitRate: { perMinute: 6, burst: 3 }, maxBarEvaluations: 1e8, chunkBarEvaluations: 1e8, fanOutAboveBarEvaluations: 1e8 },
  basic: { maxConcurrency: 20, dailySubmissions: 100, creditsPerJob: 1, initialCredits: 500, workerMemoryMb: 1769, maxCombinations: 1000, submitRate: { perMinute: 30, burst: 20 }, maxBarEvaluations: 1e9, chunkBarEvaluations: 5e7, fanOutAboveBarEvaluations: 1e8 },
  pro: { maxConcurrency: 50, dailySubmissions: null, creditsPerJob: 1, initialCredits: 5000, workerMemoryMb: 3008, maxCombinations: 5000, submitRate: { perMinute: 60, burst: 30 }, maxBarEvaluations: 1e10, chunkBarEvaluations: 2.5e7, fanOutAboveBarEvaluations: 1e8 },
};

/** Credits are priced by work: one per started block of this many bar evaluations (never less than the tier's creditsPerJob). */
export const BAR_EVALUATIONS_PER_CREDIT = 1e8;

/** What a job of `barEvaluations` costs in `settings`' tier, charged once at submit. */
export function creditsFor(settings: Pick<TierSettings, 'creditsPerJob'>, barEvaluations: number): number {
  return Math.max(settings.creditsPerJob, Math.ceil(barEvaluations / BAR_EVALUATIONS_PER_CREDIT));
}

/** Worker function timeout; the queue visibility timeout is a multiple of it (AWS advises at least 6x). */
export const WORKER_TIMEOUT_SECONDS = 120;
export const VISIBILITY_TIMEOUT_SECONDS = WORKER_TIMEOUT_SECONDS * 6;
/** Receives before a message moves to the DLQ: the first attempt plus three retries. */
export const MAX_RECEIVE_COUNT = 4;
/** Delay before retry n (1-based) in seconds: 2, 4, 8; jitter is added on top by the worker. */
export const retryDelaySeconds = (retry: number): number => 2 ** retry;

export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

/** Tier settings with maxConcurrency overridden (CDK context `concurrency.<tier>` or env locally). */
export function tierSettingsWith(overrides: Partial<Record<Tier, number>>): Record<Tier, TierSettings> {
  const out = {} as Record<Tier, TierSettings>;
  for (const tier of TIERS) {
    const maxConcurrency = overrides[tier] ?? TIER_SETTINGS[tier].maxConcurrency;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2) {
      throw new Error(`maxConcurrency for tier ${tier} must be an integer >= 2 (SQS event source minimum), got ${maxConcurrency}`);
    }
    out[tier] = { ...TIER_SETTINGS[tier], maxConcurrency };
  }
  return out;
}
