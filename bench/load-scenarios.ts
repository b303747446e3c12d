import { availableParallelism } from 'node:os';
import { runBacktest, syntheticSeries } from '../engine/index.ts';
import type { BacktestSpec, BarSeries } from '../engine/types.ts';
import { TIER_SETTINGS, TIERS, type Tier } from '../lambdas/core/tiers.ts';
import type { StackCapacity } from './load-stack-capacity.ts';

/**
 * The realistic scenarios of `npm run load -- --scenario steady|overload` (issue 12): 1,000 users (600 free, 250 basic,
 * 150 pro), each submitting again 30-120 s (uniform) after their previous submission, with daily-bar sweeps sized for
 * about 1-4 s of engine time where the tier's limits allow it. The offer is stated as a fraction of this machine's
 * measured capacity: the engine time of a sample of the same jobs, measured in the load generator before the stack
 * starts, times the planned arrival rate, over the cores the worker threads can use. `--offer F` thins each user's
 * submissions at random (a user who thinks longer) so the offer is F x capacity; steady defaults to 0.7, overload to 2.
 * When even every scheduled submission offers less than F, the gaps shrink instead (a user who thinks faster), and
 * the report says so.
 */
export type ScenarioName = 'steady' | 'overload';

export interface Scenario {
  name: ScenarioName;
  users: Record<Tier, number>;
  intervalSeconds: { min: number; max: number };
  offer: number;
}

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  steady: { name: 'steady', users: { free: 600, basic: 250, pro: 150 }, intervalSeconds: { min: 30, max: 120 }, offer: 0.7 },
  overload: { name: 'overload', users: { free: 600, basic: 250, pro: 150 }, intervalSeconds: { min: 30, max: 120 }, offer: 2 },
};

/** Daily synthetic bars 1970-2024 (about 14,300 weekday bars): the longest daily series a request may ask for. */
const START = '1970-01-01';
const END = '2024-12-31';

/**
 * Combinations per tier, drawn uniformly: pro 1,000-5,000 (about 0.7-3.5 s of one core here), basic 300-1,000
 * (0.2-0.7 s: basic's grid cap), free 50-100 (free's cap keeps its jobs short). All inside the submit-time work cap.
 */
const COMBINATIONS: Record<Tier, { min: number; max: number }> = { free: { min: 50, max: 100 }, basic: { min: 300, max: 1000 }, pro: { min: 1000, max: 5000 } };

/** A submit body of the scenario's job mix for `tier`, drawn with `random`. */
export function scenarioJobBody(tier: Tier, random: () => number): Record<string, unknown> {
  const { min, max } = COMBINATIONS[tier];
  const target = Math.min(TIER_SETTINGS[tier].maxCombinations, Math.round(min + random() * (max - min)));
  const fastCount = Math.max(2, Math.round(Math.sqrt(target / 4)));
  const slowCount = Math.max(1, Math.floor(target / fastCount));
  const strategyId = random() < 0.5 ? 'sma-cross' : 'ema-cross';
  return {
    strategyId,
    params: { fast: { from: 2, to: 1 + fastCount, step: 1 }, slow: { from: fastCount + 5, to: fastCount + 5 + 2 * (slowCount - 1), step: 2 } },
    symbol: `SYNTH-LOAD${Math.floor(random() * 5)}`,
    timeframe: '1d',
    startDate: START,
    endDate: END,
    sweep: { metric: 'sharpe', top: 5 },
  };
}

export interface Calibration {
  /** Mean engine time per job of each tier's mix, s (main-thread CPU of the load generator, one core). */
  meanEngineSeconds: Record<Tier, number>;
  /** Cores the stack's worker threads can use: min(cores, worker threads). */
  usableCores: number;
  /** Jobs per second the offered schedule plans, before thinning. */
  plannedJobsPerSecond: number;
  /** Core-seconds per second the planned schedule asks for, over usableCores. */
  plannedOffer: number;
  /** Probability that a scheduled submission is made, so the offer is the scenario's fraction of capacity. */
  submitProbability: number;
  /** The offer after thinning, as a fraction of capacity. */
  offer: number;
  /**
   * The gaps between a user's submissions: the scenario's 30-120 s, or shorter by the factor the offer needs when even
   * every scheduled submission falls short of it (the engine got faster than the jobs' 1-4 s: 1,000 users at 30-120 s
   * then offer about 1.1x this machine, and overload asks 2x).
   */
  intervalSeconds: { min: number; max: number };
  /** Jobs per second the stack can finish at most: usableCores over the mix's mean engine time, or the stack's measured rate. */
  capacityJobsPerSecond: number;
  /** The engine-only capacity, when capacityJobsPerSecond is the stack's measured one. */
  engineCapacityJobsPerSecond?: number;
  /** The stack's capacity run (bench/load-stack-capacity.ts), when the offer is based on it. */
  stackCapacity?: StackCapacity;
}

/**
 * The offer re-planned on the stack's measured capacity: each tier's time per job is its engine time scaled by
 * engine capacity / stack capacity (the stack's overhead spread over the mix in proportion to engine time).
 */
export function planOnStack(scenario: Scenario, threads: number, engine: Calibration, stack: StackCapacity): Calibration {
  const factor = engine.capacityJobsPerSecond / stack.jobsPerSecond;
  const seconds = Object.fromEntries(TIERS.map((t) => [t, engine.meanEngineSeconds[t] * factor])) as Record<Tier, number>;
  return { ...planOffer(scenario, threads, seconds), meanEngineSeconds: engine.meanEngineSeconds, engineCapacityJobsPerSecond: engine.capacityJobsPerSecond, stackCapacity: stack };
}

/**
 * Measures the job mix's engine time (the same bodies, same engine, on synthetic bars) and sets the submit
 * probability that makes the offer `scenario.offer` x capacity.
 */
export async function calibrate(scenario: Scenario, threads: number, random: () => number, samplesPerTier = 6): Promise<Calibration> {
  const bars: BarSeries = syntheticSeries('SYNTH-LOAD0', '1d', Date.parse(START), Date.parse(END));
  const meanEngineSeconds = {} as Record<Tier, number>;
  for (const tier of TIERS) {
    let cpu = 0;
    for (let i = 0; i <= samplesPerTier; i++) {
      const body = scenarioJobBody(tier, random) as { strategyId: string; params: BacktestSpec['params'] };
      const spec: BacktestSpec = { strategyId: body.strategyId, params: body.params, initialCash: 10_000, commission: 0.001, sweep: { metric: 'sharpe', top: 5 } };
      const t0 = process.threadCpuUsage();
      await runBacktest(bars, spec);
      const t = process.threadCpuUsage(t0);
      if (i > 0) cpu += (t.user + t.system) / 1e6; // the first run warms the JIT
    }
    meanEngineSeconds[tier] = cpu / samplesPerTier;
  }
  return planOffer(scenario, threads, meanEngineSeconds);
}

/** The schedule that offers `scenario.offer` x capacity, given each tier's mean engine time per job (s). */
export function planOffer(scenario: Scenario, threads: number, meanEngineSeconds: Record<Tier, number>): Calibration {
  const usableCores = Math.min(availableParallelism(), threads);
  const meanInterval = (scenario.intervalSeconds.min + scenario.intervalSeconds.max) / 2;
  let plannedJobsPerSecond = 0;
  let coreSeconds = 0;
  for (const tier of TIERS) {
    const rate = scenario.users[tier] / meanInterval;
    plannedJobsPerSecond += rate;
    coreSeconds += rate * meanEngineSeconds[tier];
  }
  const literalOffer = coreSeconds / usableCores;
  // Users think faster (shorter gaps) only when thinning alone cannot reach the offer.
  const compress = Math.min(1, literalOffer / scenario.offer);
  const intervalSeconds = { min: scenario.intervalSeconds.min * compress, max: scenario.intervalSeconds.max * compress };
  const plannedOffer = literalOffer / compress;
  plannedJobsPerSecond /= compress;
  const submitProbability = Math.min(1, scenario.offer / plannedOffer);
  const meanJobSeconds = coreSeconds / (plannedJobsPerSecond * compress);
  return {
    meanEngineSeconds,
    usableCores,
    plannedJobsPerSecond,
    plannedOffer,
    submitProbability,
    offer: plannedOffer * submitProbability,
    intervalSeconds,
    capacityJobsPerSecond: usableCores / meanJobSeconds,
  };
}

/** One user's submission times (ms from the start) within `durationMs`: gaps of `intervalSeconds` (30-120 s), thinned with `p`. */
export function scenarioSchedule(scenario: Pick<Scenario, 'intervalSeconds'>, durationMs: number, p: number, random: () => number): number[] {
  const { min, max } = scenario.intervalSeconds;
  const out: number[] = [];
  // A random phase so users do not start together: the first submission falls anywhere in one interval.
  let t = random() * max * 1000;
  while (t < durationMs) {
    if (random() < p) out.push(t);
    t += (min + random() * (max - min)) * 1000;
  }
  return out;
}
