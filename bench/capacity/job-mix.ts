import type { BacktestSpec, Timeframe } from '../../engine/types.ts';
import { TIER_SETTINGS, type Tier } from '../../lambdas/core/tiers.ts';

/**
 * The jobs each tier's users submit, as the capacity model assumes them. The old system's jobs took 1-4 s of engine
 * time; this mix is shaped so the measured engine time lands in that range for the paid tiers and below it for free
 * (whose grids are capped at 100 combinations). Every shape stays inside the tier's `maxCombinations` and the
 * submit-time work cap, so the model never counts a job the API would refuse.
 */
export interface JobShape {
  tier: Tier;
  label: string;
  strategyId: string;
  timeframe: Timeframe;
  /** Calendar years of data (synthetic bars; weekday sessions only). */
  years: number;
  spec: BacktestSpec;
  combinations: number;
}

const STRATEGIES = ['sma-cross', 'ema-cross', 'macd-cross'] as const;

function range(from: number, count: number, step: number): { from: number; to: number; step: number } {
  return { from, to: from + (count - 1) * step, step };
}

/** A fast/slow grid of about `combinations` cells (fast x slow, with fast < slow everywhere). */
function grid(strategyId: string, combinations: number): { params: BacktestSpec['params']; combinations: number } {
  const fastCount = Math.max(1, Math.round(Math.sqrt(combinations / 2)));
  const slowCount = Math.max(1, Math.round(combinations / fastCount));
  const params: BacktestSpec['params'] = { fast: range(2, fastCount, 1), slow: range(fastCount + 5, slowCount, 2) };
  if (strategyId === 'macd-cross') params.signal = 9;
  return { params, combinations: fastCount * slowCount };
}

function shape(tier: Tier, strategyId: string, timeframe: Timeframe, years: number, combinations: number): JobShape {
  const g = combinations === 1 ? { params: strategyId === 'macd-cross' ? { fast: 12, slow: 26, signal: 9 } : { fast: 10, slow: 30 }, combinations: 1 } : grid(strategyId, combinations);
  if (g.combinations > TIER_SETTINGS[tier].maxCombinations) throw new Error(`${tier}: ${g.combinations} combinations is above the tier's cap`);
  const label = g.combinations === 1 ? `${strategyId} single ${timeframe} ${years}y` : `${strategyId} sweep ${g.combinations} x ${timeframe} ${years}y`;
  return {
    tier,
    label,
    strategyId,
    timeframe,
    years,
    combinations: g.combinations,
    spec: { strategyId, params: g.params, initialCash: 10_000, commission: 0.001, timeframe, sweep: { metric: 'sharpe', top: 10 } },
  };
}

/**
 * `count` job shapes for a tier, drawn with `random` (seeded by the caller). Free: singles and sweeps of up to 100
 * combinations on daily bars, some hourly singles; basic: daily sweeps of 200-1,000 combinations, hourly sweeps of
 * 50-300, minute-bar singles; pro: daily sweeps of 1,000-5,000 combinations and hourly sweeps of 200-1,000.
 */
export function drawJobShapes(tier: Tier, count: number, random: () => number): JobShape[] {
  const out: JobShape[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const between = (lo: number, hi: number): number => Math.round(lo + random() * (hi - lo));
  for (let i = 0; i < count; i++) {
    const strategy = pick(STRATEGIES);
    const r = random();
    if (tier === 'free') {
      if (r < 0.4) out.push(shape(tier, strategy, '1d', between(10, 25), 1));
      else if (r < 0.8) out.push(shape(tier, strategy, '1d', between(10, 25), between(20, 100)));
      else out.push(shape(tier, strategy, '1h', between(5, 10), 1));
    } else if (tier === 'basic') {
      if (r < 0.4) out.push(shape(tier, strategy, '1d', between(10, 20), between(200, 1000)));
      else if (r < 0.8) out.push(shape(tier, strategy, '1h', between(5, 10), between(50, 300)));
      else out.push(shape(tier, strategy, '1m', between(1, 2), 1));
    } else if (r < 0.4) out.push(shape(tier, strategy, '1d', between(10, 20), between(1000, 5000)));
    else out.push(shape(tier, strategy, '1h', between(5, 10), between(200, 1000)));
  }
  return out;
}
