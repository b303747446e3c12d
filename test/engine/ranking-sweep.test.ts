import { describe, expect, it } from 'vitest';
import { barsFromArrays, METRIC_KEYS, runBacktest, runSweepSlice, type BacktestSpec, type BarSeries, type Stats } from '../../engine/index.ts';
import { runWithTrace } from '../../engine/run.ts';
import { planBacktest } from '../../engine/spec.ts';
import { LOWER_IS_BETTER } from '../../engine/stats.ts';
import { sweepGrid } from '../../engine/sweep-grid.ts';
import { DAY, rng } from './helpers.ts';

// A sweep computes each combination's ranking metric in a lean pass (engine/ranking-tracker.ts) and runs only the top
// rows in full. This holds it to the full computation: every combination run alone on the same (array) path, ranked
// by a stable sort (NaN last, ties in grid order), must give the same top rows with bit-identical stats, the same
// winner's trades and curve, the same grid, and a slice's metrics must be the same doubles.

const HOUR = 3_600_000;

/** Random cent-quoted bars: a random walk with flat stretches (ties in the averages) and, when `wild`, opens far from the closes (ruinous fills). */
function randomBars(seed: number, n: number, kind: 'daily' | 'weekdays' | 'hourly', wild: boolean): BarSeries {
  const next = rng(seed);
  const time: number[] = [];
  const close: number[] = [];
  const open: number[] = [];
  let price = 20 + next() * 200;
  let t = Date.UTC(2015, 0, 5);
  const drift = (next() - 0.5) * 0.004;
  for (let i = 0; i < n; i++) {
    if (kind === 'daily') t += DAY;
    else if (kind === 'weekdays') t += new Date(t).getUTCDay() === 5 ? 3 * DAY : DAY;
    else t += next() < 0.1 ? 17 * HOUR : HOUR; // several bars a day, days of different lengths, weekends included
    time.push(t);
    if (next() > 0.15) price *= 1 + drift + (next() - 0.5) * 0.06;
    price = Math.max(0.05, price);
    close.push(Math.round(price * 100) / 100);
    const gap = wild ? (next() < 0.5 ? 0.05 + next() * 0.5 : 2 + next() * 18) : 1 + (next() - 0.5) * 0.01;
    open.push(Math.max(0.01, Math.round(close[Math.max(0, i - 1)] * gap * 100) / 100));
  }
  return barsFromArrays({
    time,
    open,
    high: close.map((c, i) => Math.max(c, open[i]) + 0.01),
    low: close.map((c, i) => Math.max(0.01, Math.min(c, open[i]) - 0.01)),
    close,
  });
}

const same = (a: number, b: number): boolean => Object.is(a, b);

/** Field-by-field, with NaN equal to NaN and +0 distinct from -0: bit-identical doubles, not merely close ones. */
function expectSameStats(actual: Stats, expected: Stats, label: string): void {
  for (const key of Object.keys(expected) as (keyof Stats)[]) {
    const a = actual[key];
    const b = expected[key];
    const ok = typeof b === 'number' ? same(a as number, b) : a === b;
    expect(ok, `${label}: ${key} is ${String(a)}, the full run gives ${String(b)}`).toBe(true);
  }
}

/** The ranking a full computation gives: a stable sort of every combination's full stats. */
function fullRanking(stats: Stats[], metric: string): number[] {
  const sign = LOWER_IS_BETTER.has(metric) ? 1 : -1;
  return stats
    .map((_, i) => i)
    .sort((i, j) => {
      const x = stats[i][metric as keyof Stats] as number;
      const y = stats[j][metric as keyof Stats] as number;
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? 0 : Number.isNaN(x) ? 1 : -1;
      return x === y ? 0 : sign * (x < y ? -1 : 1);
    });
}

interface Scenario {
  name: string;
  bars: BarSeries;
  spec: BacktestSpec;
}

function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  const kinds = ['daily', 'weekdays', 'hourly'] as const;
  const executions: Partial<BacktestSpec>[] = [
    { commission: 0.001 },
    { commission: 0, fractional: true },
    { commission: 0.002, slippageBps: 5, sizing: { fraction: 0.5 } },
    { commission: 0.0005, sizing: { units: 3 } },
  ];
  for (let s = 0; s < 9; s++) {
    const kind = kinds[s % 3];
    // Wild opens, all-in fractional sizing and a 50 % commission: every round trip loses most of the equity, so it
    // falls below 2^-54 of its peak without reaching 0 (the ranking pass cannot settle the ruin rule there and runs
    // the combination in full).
    const wild = s % 4 === 3;
    const bars = randomBars(1000 + s, 250 + ((s * 97) % 300), kind, wild);
    const execution = wild ? { commission: 0.5, fractional: true } : executions[s % executions.length];
    const base = { initialCash: 10_000, commission: 0, ...execution };
    out.push({
      name: `sma-cross ${kind}${wild ? ' wild opens' : ''} #${s}`,
      bars,
      spec: { ...base, strategyId: 'sma-cross', params: { fast: [1, 2, 3, 5, 8], slow: [4, 6, 13, 21], allowShort: s % 2 === 1 } },
    });
    if (s % 3 === 0) {
      out.push({ name: `rsi-reversion ${kind} #${s}`, bars, spec: { ...base, strategyId: 'rsi-reversion', params: { period: [3, 7], lower: [25, 40], upper: [60, 75], allowShort: s % 2 === 0 } } });
    } else if (s % 3 === 1) {
      out.push({ name: `bollinger-reversion ${kind} #${s}`, bars, spec: { ...base, strategyId: 'bollinger-reversion', params: { period: [5, 10, 20], k: [0.5, 1, 2], allowShort: true } } });
    } else {
      out.push({ name: `macd-cross ${kind} #${s}`, bars, spec: { ...base, strategyId: 'macd-cross', params: { fast: [3, 5], slow: [8, 13], signal: [3, 5] } } });
      out.push({ name: `donchian-breakout ${kind} #${s}`, bars, spec: { ...base, strategyId: 'donchian-breakout', params: { period: [3, 5, 10, 20], allowShort: true } } });
    }
  }
  return out;
}

describe('ranking-only sweeps', () => {
  const all = scenarios();
  const covered = { ruined: 0, nanMetric: 0, tinyEquity: 0, ties: 0 };

  it.each(all)('rank, top rows, winner and grid equal the full computation for every metric: $name', async ({ bars, spec }) => {
    const plan = planBacktest(spec);
    // Prepare: every combination run alone, in full, on the array path a sweep takes.
    const full: Stats[] = [];
    for (const params of plan.combinations) full.push((await runWithTrace(bars, { ...spec, params }, 'arrays')).stats);
    covered.ruined += full.filter((s) => s.maxDrawdownPct <= -100).length;
    covered.tinyEquity += full.filter((s) => s.equityFinal > 0 && s.equityFinal <= 2 ** -54 * s.equityPeak).length;

    for (const metric of METRIC_KEYS) {
      const top = 4;
      const sweepSpec: BacktestSpec = { ...spec, sweep: { metric, top } };
      // Act
      const result = await runBacktest(bars, sweepSpec);
      const slice = await runSweepSlice(bars, sweepSpec, 1, plan.combinations.length);

      // Assess: the ranking and the top rows.
      const order = fullRanking(full, metric);
      const label = `${metric}`;
      expect(result.sweep!.top.map((r) => r.params), label).toEqual(order.slice(0, top).map((i) => plan.combinations[i]));
      result.sweep!.top.forEach((row, r) => expectSameStats(row.stats, full[order[r]], `${label}, rank ${r}`));
      // The winner's own result: its full stats, trades and curve, as a run of it alone gives them.
      const alone = await runWithTrace(bars, { ...spec, params: plan.combinations[order[0]] }, 'arrays');
      expect(result.params).toEqual(plan.combinations[order[0]]);
      expectSameStats(result.stats, alone.stats, `${label}, winner`);
      expect(result.trades, label).toEqual(alone.trades);
      expect(result.equityCurve, label).toEqual(alone.equityCurve);
      // Every combination's metric: the grid (when two parameters vary) and a slice's raw values, bit for bit.
      const values = full.map((s) => s[metric] as number);
      const grid = sweepGrid(plan.axes, plan.combinations.map((params, i) => ({ params, stats: full[i] })), metric);
      expect(result.sweep!.grid, label).toEqual(grid);
      expect(slice.metrics.length).toBe(values.length - 1);
      slice.metrics.forEach((v, i) => expect(same(v, values[i + 1]), `${label}: combination ${i + 1} ranks by ${v}, the full run gives ${values[i + 1]}`).toBe(true));
      const sliceOrder = fullRanking(full.slice(1), metric).slice(0, top);
      expect(slice.top.map((r) => r.params), `${label}, slice`).toEqual(sliceOrder.map((i) => plan.combinations[i + 1]));

      covered.nanMetric += values.filter(Number.isNaN).length;
      covered.ties += values.length - new Set(values.map(String)).size;
    }
  }, 60_000);

  it('covered the edge cases it is meant to (ruin, NaN metrics, tiny equity, ties)', () => {
    // The scenarios above must have exercised the paths where a lean pass could go wrong; if the data generator
    // changes so they no longer do, this says so instead of passing quietly.
    expect(covered.ruined).toBeGreaterThan(0);
    expect(covered.nanMetric).toBeGreaterThan(0);
    expect(covered.tinyEquity).toBeGreaterThan(0);
    expect(covered.ties).toBeGreaterThan(0);
  });
});
