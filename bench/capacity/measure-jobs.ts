import { cpus, loadavg } from 'node:os';
import { runBacktest, syntheticSeries } from '../../engine/index.ts';
import type { BarSeries, Timeframe } from '../../engine/types.ts';
import { TIERS, type Tier } from '../../lambdas/core/tiers.ts';
import { seededRandom } from '../load-stats.ts';
import { drawJobShapes, type JobShape } from './job-mix.ts';

/** One measured job: engine time on one core of the machine that measured it. */
export interface MeasuredJob {
  label: string;
  bars: number;
  combinations: number;
  /** CPU time of the main thread (the engine's own work; less disturbed by other processes than wall time). */
  cpuMs: number;
  wallMs: number;
}

export interface JobDurations {
  measuredAt: string;
  machine: string;
  node: string;
  loadAverageAtStart: number;
  seed: number;
  note: string;
  tiers: Record<Tier, MeasuredJob[]>;
}

const DAY_MS = 86_400_000;
const seriesCache = new Map<string, BarSeries>();
function series(timeframe: Timeframe, years: number): BarSeries {
  const key = `${timeframe}:${years}`;
  let bars = seriesCache.get(key);
  if (bars === undefined) {
    const end = Date.UTC(2024, 11, 31);
    bars = syntheticSeries(`SYNTH-CAP${years}`, timeframe, end - Math.round(years * 365.25) * DAY_MS, end);
    seriesCache.set(key, bars);
  }
  return bars;
}

async function runOne(shape: JobShape): Promise<MeasuredJob> {
  const bars = series(shape.timeframe, shape.years);
  const th0 = process.threadCpuUsage();
  const t0 = performance.now();
  await runBacktest(bars, shape.spec);
  const wallMs = performance.now() - t0;
  const th = process.threadCpuUsage(th0);
  return { label: shape.label, bars: bars.length, combinations: shape.combinations, cpuMs: (th.user + th.system) / 1000, wallMs };
}

/**
 * Runs `perTier` seeded job shapes per tier through the engine and returns their times. Each tier's draw is run once
 * untimed first (JIT warm-up: a worker that has run a few jobs), then timed.
 */
export async function measureJobDurations(perTier: number, seed: number, log: (line: string) => void = () => undefined): Promise<JobDurations> {
  const random = seededRandom(seed);
  const loadAverageAtStart = loadavg()[0];
  const tiers = {} as Record<Tier, MeasuredJob[]>;
  for (const tier of TIERS) {
    const shapes = drawJobShapes(tier, perTier, random);
    for (const s of shapes.slice(0, 3)) await runOne(s);
    tiers[tier] = [];
    for (const s of shapes) {
      const m = await runOne(s);
      tiers[tier].push(m);
      log(`  ${tier.padEnd(5)} ${m.label.padEnd(40)} ${m.cpuMs.toFixed(0).padStart(6)} ms cpu ${m.wallMs.toFixed(0).padStart(6)} ms wall`);
    }
  }
  return {
    measuredAt: new Date().toISOString(),
    machine: `${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores`,
    node: process.version,
    loadAverageAtStart,
    seed,
    note: 'Engine time per job on one core of this machine (main-thread CPU time), for the job mix in bench/capacity/job-mix.ts on synthetic series. The model scales it by the Lambda memory setting (CPU share) and adds the per-job overhead from model-inputs.json.',
    tiers,
  };
}
