import { TIER_SETTINGS, TIERS, type Tier } from '../../lambdas/core/tiers.ts';
import { seededRandom } from '../load-stats.ts';
import { monthlyCost, oldDesignMonthlyCost, type CostInputs, type CostReport, type Prices } from './cost-model.ts';
import type { JobDurations } from './measure-jobs.ts';
import { percentile, simulateTier, type TierSimResult } from './tier-queue-sim.ts';

/** model-inputs.json as the model reads it. */
export interface ModelInputs extends CostInputs {
  scenarios: { name: string; users: number }[];
  mix: Record<Tier, number>;
  usage: CostInputs['usage'] & { jobsPerUserPerDay: Record<Tier, number>; peakHourShareOfDailyJobs: number };
  lambda: CostInputs['lambda'] & {
    coldStartMs: { min: number; max: number };
    keepAliveSeconds: number;
    pollDelayMs: { min: number; max: number };
    workerOverheadMs: { min: number; max: number };
    fullCpuMemoryMb: number;
    lambdaCoreSpeedVsMeasured: number;
  };
}

/** The goal the needed concurrency is solved for: the design's "average queue wait under 30 s". */
export const MEAN_WAIT_GOAL_MS = 30_000;
/** The SQS event source mapping's smallest maxConcurrency. */
const MIN_CONCURRENCY = 2;
const WARMUP_SECONDS = 600;
const PEAK_HOUR_SECONDS = 3600;

export interface TierOutcome {
  tier: Tier;
  users: number;
  peakJobsPerSecond: number;
  meanServiceMs: number;
  /** Offered load at the peak in busy workers (arrival rate x mean service time). */
  offeredConcurrency: number;
  configured: { concurrency: number; waitP50Ms: number; waitP95Ms: number; meanWaitMs: number; utilisation: number; coldStartShare: number; stable: boolean };
  /** Smallest concurrency with a mean wait under 30 s, and its waits. */
  needed: { concurrency: number; waitP50Ms: number; waitP95Ms: number; meanWaitMs: number };
  /** Smallest concurrency whose p95 wait is under 30 s too (a stricter target, shown for comparison). */
  neededForP95: number;
  jobsPerMonth: number;
  billedMsPerJob: number;
}

export interface ScenarioOutcome {
  name: string;
  users: number;
  tiers: TierOutcome[];
  serverless: CostReport;
  oldDesign: CostReport & { workerVms: number };
  reservedConcurrencyNeeded: number;
}

const uniform = (r: () => number, range: { min: number; max: number }): number => range.min + r() * (range.max - range.min);

/** The worker's handler time for one job: a measured engine time scaled to the tier's CPU share, plus overhead. */
export function serviceSampler(samplesMs: readonly number[], memoryMb: number, inputs: ModelInputs): (r: () => number) => number {
  if (samplesMs.length === 0) throw new Error('no measured job durations for a tier');
  const slowdown = Math.max(1, inputs.lambda.fullCpuMemoryMb / memoryMb) / inputs.lambda.lambdaCoreSpeedVsMeasured;
  return (r) => samplesMs[Math.floor(r() * samplesMs.length)] * slowdown + uniform(r, inputs.lambda.workerOverheadMs);
}

function seedFor(base: number, ...parts: (string | number)[]): number {
  let h = base >>> 0;
  for (const ch of parts.join('|')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

function runTier(lambdaPerSecond: number, concurrency: number, sample: (r: () => number) => number, inputs: ModelInputs, seed: number): TierSimResult {
  return simulateTier({
    arrivalsPerSecond: lambdaPerSecond,
    concurrency,
    serviceMs: sample,
    coldStartMs: (r) => uniform(r, inputs.lambda.coldStartMs),
    keepAliveMs: inputs.lambda.keepAliveSeconds * 1000,
    pollDelayMs: (r) => uniform(r, inputs.lambda.pollDelayMs),
    warmupSeconds: WARMUP_SECONDS,
    measureSeconds: PEAK_HOUR_SECONDS,
    random: seededRandom(seed),
  });
}

/** Smallest c >= MIN_CONCURRENCY for which `ok` holds (monotone in c), by doubling then bisection. */
function smallestConcurrency(start: number, ok: (c: number) => boolean): number {
  let lo = MIN_CONCURRENCY - 1;
  let hi = Math.max(MIN_CONCURRENCY, start);
  while (!ok(hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function runScenario(scenario: { name: string; users: number }, inputs: ModelInputs, durations: JobDurations, prices: Prices, seed: number): ScenarioOutcome {
  const tiers: TierOutcome[] = [];
  for (const tier of TIERS) {
    const users = Math.round(scenario.users * inputs.mix[tier]);
    const dailyJobs = users * inputs.usage.jobsPerUserPerDay[tier];
    const peak = (dailyJobs * inputs.usage.peakHourShareOfDailyJobs) / PEAK_HOUR_SECONDS;
    const memoryMb = TIER_SETTINGS[tier].workerMemoryMb;
    const sample = serviceSampler(
      durations.tiers[tier].map((j) => j.cpuMs),
      memoryMb,
      inputs,
    );
    // The mean service time from a large seeded draw of the same sampler the simulation uses.
    const draw = seededRandom(seedFor(seed, 'mean', tier));
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += sample(draw);
    const meanServiceMs = sum / 20_000;
    const cache = new Map<number, TierSimResult>();
    const sim = (c: number): TierSimResult => {
      let r = cache.get(c);
      if (r === undefined) {
        r = runTier(peak, c, sample, inputs, seedFor(seed, scenario.name, tier, c));
        cache.set(c, r);
      }
      return r;
    };
    const offered = (peak * meanServiceMs) / 1000;
    const configuredC = TIER_SETTINGS[tier].maxConcurrency;
    const configured = sim(configuredC);
    const neededC = smallestConcurrency(Math.ceil(offered), (c) => c > offered && sim(c).meanWaitMs < MEAN_WAIT_GOAL_MS);
    const neededForP95 = smallestConcurrency(neededC, (c) => c > offered && percentile(sim(c).waitsMs, 95) < MEAN_WAIT_GOAL_MS);
    const needed = sim(neededC);
    // Bill what the deployment that meets the goal would run: the configured concurrency, or more if it is short.
    const billedBy = sim(Math.max(configuredC, neededC));
    tiers.push({
      tier,
      users,
      peakJobsPerSecond: peak,
      meanServiceMs,
      offeredConcurrency: offered,
      configured: {
        concurrency: configuredC,
        waitP50Ms: percentile(configured.waitsMs, 50),
        waitP95Ms: percentile(configured.waitsMs, 95),
        meanWaitMs: configured.meanWaitMs,
        utilisation: configured.utilisation,
        coldStartShare: configured.jobs === 0 ? 0 : configured.coldStarts / configured.jobs,
        stable: offered < configuredC,
      },
      needed: { concurrency: neededC, waitP50Ms: percentile(needed.waitsMs, 50), waitP95Ms: percentile(needed.waitsMs, 95), meanWaitMs: needed.meanWaitMs },
      neededForP95,
      jobsPerMonth: dailyJobs * inputs.usage.daysPerMonth,
      billedMsPerJob: billedBy.jobs === 0 ? meanServiceMs : billedBy.billedMs / billedBy.jobs,
    });
  }
  const byTier = Object.fromEntries(
    tiers.map((t) => [t.tier, { jobs: t.jobsPerMonth, users: t.users, workerMemoryMb: TIER_SETTINGS[t.tier].workerMemoryMb, billedMsPerJob: t.billedMsPerJob, runMsPerJob: t.meanServiceMs }]),
  ) as Parameters<typeof monthlyCost>[0];
  const reservedConcurrencyNeeded = tiers.reduce((s, t) => s + Math.max(t.configured.concurrency, t.needed.concurrency), 0);
  return {
    name: scenario.name,
    users: scenario.users,
    tiers,
    serverless: monthlyCost(byTier, inputs, prices),
    oldDesign: oldDesignMonthlyCost(
      tiers.reduce((s, t) => s + t.needed.concurrency, 0),
      inputs,
      prices,
    ),
    reservedConcurrencyNeeded,
  };
}
