import { CurveSampler } from './equity-curve.ts';
import { EngineInputError } from './errors.ts';
import { Executor, type ExecutionTrace } from './execution.ts';
import { release, takeFloat64, takeInt8 } from './buffer-pool.ts';
import { IndicatorCache } from './indicator-cache.ts';
import { CHUNK, Scheduler } from './scheduler.ts';
import type { IndicatorKernel } from './indicators.ts';
import { planBacktest, type BacktestPlan } from './spec.ts';
import { computeStats, EquityScan, LOWER_IS_BETTER } from './stats.ts';
import type { ScalarParams } from './strategies/strategy.ts';
import { toIso } from './time.ts';
import { TradeLog } from './trade-log.ts';
import type { BacktestResult, BacktestSpec, BarSeries, RunOptions, Stats, SweepRow, Trade } from './types.ts';

/** Reusable per-series buffers: one signal array, one equity array and one trade log serve every combination. */
interface Workspace {
  bars: BarSeries;
  cache: IndicatorCache;
  signals: Int8Array;
  equity: Float64Array;
  trades: TradeLog;
}

interface SingleRun {
  stats: Stats;
  /** Only when requested: the downsampled curve. */
  curve?: { time: number[]; equity: number[] };
}

function checkBars(bars: BarSeries): void {
  const n = bars.length;
  if (!Number.isInteger(n) || n < 2) throw new EngineInputError(`need at least 2 bars, got ${n}`, 'bars');
  for (const key of ['time', 'open', 'high', 'low', 'close'] as const) {
    if (bars[key].length !== n) throw new EngineInputError(`column ${key} has ${bars[key].length} values, expected ${n}`, 'bars');
  }
}

async function runCombination(
  ws: Workspace,
  plan: BacktestPlan,
  params: ScalarParams,
  sched: Scheduler,
  base: number,
  span: number,
  withCurve: boolean,
  trace?: ExecutionTrace,
): Promise<SingleRun> {
  const { bars, cache } = ws;
  const n = bars.length;
  const requests = plan.strategy.indicators(params);
  const indicators: Float64Array[][] = [];
  const fresh: { key: string; kernel: IndicatorKernel }[] = [];
  for (const req of requests) {
    const hit = cache.get(req.key);
    if (hit !== undefined) {
      indicators.push(hit);
    } else {
      const kernel = req.make(bars);
      fresh.push({ key: req.key, kernel });
      indicators.push(kernel.outputs);
    }
  }
  const signalKernel = plan.strategy.signals(bars, indicators, params, ws.signals);
  ws.trades.clear();
  const executor = new Executor(bars, ws.signals, plan.execution, ws.equity, ws.trades, trace);
  const scan = new EquityScan(bars.time, ws.equity, n);
  const sampler = withCurve ? new CurveSampler(bars.time, ws.equity, n) : undefined;

  // Every pass only needs its inputs up to the current bar, so all passes run chunk by chunk in one sweep over the
  // series: a chunk's columns are still in cache when the next pass reads them.
  sched.stage(base, span, n);
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    for (const f of fresh) f.kernel.step(from, to);
    signalKernel(from, to);
    executor.step(from, to);
    scan.step(from, to);
    sampler?.step(from, to);
    await sched.work(to - from);
  }
  for (const f of fresh) cache.put(f.key, f.kernel);
  scan.finish(n);
  const stats = computeStats(bars, scan, ws.trades, plan.execution.initialCash, executor.barsInMarket());
  return sampler === undefined ? { stats } : { stats, curve: sampler.result() };
}

function materializeTrades(bars: BarSeries, log: TradeLog): Trade[] {
  const out: Trade[] = new Array(log.count);
  for (let i = 0; i < log.count; i++) {
    out[i] = {
      side: log.side[i] === 1 ? 'long' : 'short',
      size: log.size[i],
      entryTime: toIso(bars.time[log.entryIndex[i]]),
      exitTime: toIso(bars.time[log.exitIndex[i]]),
      entryPrice: log.entryPrice[i],
      exitPrice: log.exitPrice[i],
      pnl: log.pnl[i],
      returnPct: log.returnPct(i),
    };
  }
  return out;
}

/** Sort key: NaN ranks last; ties keep grid order (the sort is stable). */
function compareBy(metric: string): (a: SweepRow, b: SweepRow) => number {
  const sign = LOWER_IS_BETTER.has(metric) ? 1 : -1;
  return (a, b) => {
    const x = a.stats[metric as keyof Stats] as number;
    const y = b.stats[metric as keyof Stats] as number;
    const xn = Number.isNaN(x);
    const yn = Number.isNaN(y);
    if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1;
    return x === y ? 0 : sign * (x < y ? -1 : 1);
  };
}

function newWorkspace(bars: BarSeries): Workspace {
  return {
    bars,
    cache: new IndicatorCache(bars),
    signals: takeInt8(bars.length),
    equity: takeFloat64(bars.length),
    trades: new TradeLog(),
  };
}

function disposeWorkspace(ws: Workspace): void {
  ws.cache.dispose();
  release([ws.signals, ws.equity]);
}

function checkWarmup(plan: BacktestPlan, n: number): void {
  const shortest = Math.min(...plan.combinations.map((p) => plan.strategy.warmup(p)));
  if (shortest + 2 > n) {
    throw new EngineInputError(
      `${plan.strategy.id} needs at least ${shortest + 2} bars for its first possible trade with these parameters, the data has ${n}`,
      'params',
    );
  }
}

/**
 * Runs a backtest or a parameter sweep over `bars`. Async so the caller's event loop keeps running: the work is cut
 * into chunks with a yield every few milliseconds, `opts.signal` is checked at each yield (rejecting with
 * BacktestAbortedError), and `opts.onProgress` gets a monotonic fraction at most 20 times a second, ending with 1.
 */
export async function runBacktest(bars: BarSeries, spec: BacktestSpec, opts: RunOptions = {}): Promise<BacktestResult> {
  const sched = new Scheduler(opts);
  const plan = planBacktest(spec);
  checkBars(bars);
  checkWarmup(plan, bars.length);
  const ws = newWorkspace(bars);
  try {
    return await runPlan(ws, plan, sched);
  } finally {
    disposeWorkspace(ws);
  }
}

async function runPlan(ws: Workspace, plan: BacktestPlan, sched: Scheduler): Promise<BacktestResult> {
  const bars = ws.bars;
  if (!plan.isSweep) {
    const params = plan.combinations[0];
    const run = await runCombination(ws, plan, params, sched, 0, 1, true);
    const result: BacktestResult = {
      params,
      stats: run.stats,
      trades: materializeTrades(bars, ws.trades),
      equityCurve: run.curve!,
    };
    sched.finish();
    return result;
  }

  const total = plan.combinations.length;
  const rows: SweepRow[] = [];
  for (let i = 0; i < total; i++) {
    const params = plan.combinations[i];
    const run = await runCombination(ws, plan, params, sched, i / total, 1 / total, false);
    rows.push({ params, stats: run.stats });
  }
  const ranked = [...rows].sort(compareBy(plan.metric));
  const best = ranked[0];
  // Re-run the winner to get its trades and curve: cheaper than keeping them for every combination.
  const run = await runCombination(ws, plan, best.params, sched, 1, 0, true);
  const result: BacktestResult = {
    params: best.params,
    stats: run.stats,
    trades: materializeTrades(bars, ws.trades),
    equityCurve: run.curve!,
    sweep: { metric: plan.metric, combinations: total, top: ranked.slice(0, plan.top) },
  };
  sched.finish();
  return result;
}

/**
 * Test and debugging aid: one run of a non-sweep spec with the full per-bar equity, cash and signed position after
 * each close, for invariant checks. Not part of the public API.
 */
export async function runWithTrace(
  bars: BarSeries,
  spec: BacktestSpec,
): Promise<BacktestResult & { equity: Float64Array; cash: Float64Array; position: Float64Array }> {
  const plan = planBacktest(spec);
  if (plan.isSweep) throw new EngineInputError('runWithTrace takes a single parameter set', 'params');
  checkBars(bars);
  checkWarmup(plan, bars.length);
  const ws = newWorkspace(bars);
  const trace = { cash: new Float64Array(bars.length), position: new Float64Array(bars.length) };
  const params = plan.combinations[0];
  try {
    const run = await runCombination(ws, plan, params, new Scheduler(), 0, 1, true, trace);
    return {
      params,
      stats: run.stats,
      trades: materializeTrades(bars, ws.trades),
      equityCurve: run.curve!,
      equity: ws.equity.slice(),
      ...trace,
    };
  } finally {
    disposeWorkspace(ws);
  }
}
