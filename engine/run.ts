import { EngineInputError } from './errors.ts';
import { EquityTracker, type ExecutionTrace } from './equity-tracker.ts';
import { Executor } from './execution.ts';
import { release, takeInt8 } from './buffer-pool.ts';
import { IndicatorCache } from './indicator-cache.ts';
import { CHUNK, Scheduler } from './scheduler.ts';
import type { IndicatorKernel } from './indicators.ts';
import { planBacktest, type BacktestPlan } from './spec.ts';
import { computeStats, LOWER_IS_BETTER } from './stats.ts';
import { sweepGrid } from './sweep-grid.ts';
import type { ScalarParams, SignalKernel } from './strategies/strategy.ts';
import { toIso } from './time.ts';
import { TradeLog } from './trade-log.ts';
import type { BacktestResult, BacktestSpec, BarSeries, RunOptions, Stats, SweepRow, Trade } from './types.ts';

/**
 * Reusable per-series buffers: one signal array and one trade log serve every combination. The signal array is taken
 * on first use: a run through a strategy's one-pass form needs no per-bar array at all.
 */
interface Workspace {
  bars: BarSeries;
  cache: IndicatorCache;
  signals: Int8Array | undefined;
  trades: TradeLog;
}

const NO_SIGNALS = new Int8Array(0);

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

/** How one combination turns bars into orders: the strategy's one-pass form, or cached indicators and signal arrays. */
export type Path = 'direct' | 'arrays';

async function runCombination(
  ws: Workspace,
  plan: BacktestPlan,
  params: ScalarParams,
  sched: Scheduler,
  base: number,
  span: number,
  withCurve: boolean,
  path: Path,
  trace?: ExecutionTrace,
): Promise<SingleRun> {
  const { bars, cache } = ws;
  const n = bars.length;
  ws.trades.clear();
  const tracker = new EquityTracker(bars.time, bars.close, n, withCurve, trace);
  const fresh: { key: string; kernel: IndicatorKernel }[] = [];
  let orders: SignalKernel | undefined;
  let executor: Executor | undefined;
  const direct = path === 'direct' ? plan.strategy.direct : undefined;
  if (direct !== undefined) {
    executor = new Executor(bars, NO_SIGNALS, plan.execution, tracker, ws.trades);
    orders = direct(bars, params, executor);
  }
  // The array path: for a sweep, or when the one-pass form does not apply to these bars.
  if (orders === undefined) {
    const signals = (ws.signals ??= takeInt8(n));
    const indicators: Float64Array[][] = [];
    for (const req of plan.strategy.indicators(params, bars)) {
      const hit = cache.get(req.key);
      if (hit !== undefined) {
        indicators.push(hit);
      } else {
        const kernel = req.make(bars);
        fresh.push({ key: req.key, kernel });
        indicators.push(kernel.outputs);
      }
    }
    const signalKernel = plan.strategy.signals(bars, indicators, params, signals);
    const exec = (executor = new Executor(bars, signals, plan.execution, tracker, ws.trades));
    orders = (from, to) => {
      for (const f of fresh) f.kernel.step(from, to);
      signalKernel(from, to);
      exec.step(from, to);
    };
  }

  // Every pass only needs its inputs up to the current bar, so all passes run chunk by chunk in one sweep over the
  // series: a chunk's columns are still in cache when the next pass reads them.
  sched.stage(base, span, n);
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    orders(from, to);
    await sched.work(to - from);
  }
  for (const f of fresh) cache.put(f.key, f.kernel);
  tracker.finish();
  const stats = computeStats(bars, tracker, ws.trades, plan.execution.initialCash, executor!.barsInMarket());
  return withCurve ? { stats, curve: tracker.curvePoints() } : { stats };
}

function materializeTrades(log: TradeLog): Trade[] {
  const k = log.count;
  const { side, size, entryTime, exitTime, entryPrice, exitPrice, pnl } = log;
  const out: Trade[] = new Array(k);
  for (let i = 0; i < k; i++) {
    out[i] = {
      side: side[i] === 1 ? 'long' : 'short',
      size: size[i],
      entryTime: toIso(entryTime[i]),
      exitTime: toIso(exitTime[i]),
      entryPrice: entryPrice[i],
      exitPrice: exitPrice[i],
      pnl: pnl[i],
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
    signals: undefined,
    trades: new TradeLog(),
  };
}

function disposeWorkspace(ws: Workspace): void {
  ws.cache.dispose();
  if (ws.signals !== undefined) release([ws.signals]);
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
    const run = await runCombination(ws, plan, params, sched, 0, 1, true, 'direct');
    const result: BacktestResult = {
      params,
      stats: run.stats,
      trades: materializeTrades(ws.trades),
      equityCurve: run.curve!,
    };
    sched.finish();
    return result;
  }

  const total = plan.combinations.length;
  const rows: SweepRow[] = [];
  for (let i = 0; i < total; i++) {
    const params = plan.combinations[i];
    const run = await runCombination(ws, plan, params, sched, i / total, 1 / total, false, 'arrays');
    rows.push({ params, stats: run.stats });
  }
  const ranked = [...rows].sort(compareBy(plan.metric));
  const best = ranked[0];
  // Re-run the winner to get its trades and curve: cheaper than keeping them for every combination.
  const run = await runCombination(ws, plan, best.params, sched, 1, 0, true, 'arrays');
  const result: BacktestResult = {
    params: best.params,
    stats: run.stats,
    trades: materializeTrades(ws.trades),
    equityCurve: run.curve!,
    sweep: { metric: plan.metric, combinations: total, top: ranked.slice(0, plan.top) },
  };
  // Every combination's metric, not only the top rows: a two-parameter sweep's heatmap needs the whole grid.
  const grid = sweepGrid(plan.axes, rows, plan.metric);
  if (grid !== undefined) result.sweep!.grid = grid;
  sched.finish();
  return result;
}

/** One slice of a sweep: its own top rows (ranked as the whole sweep ranks) and every combination's metric, in grid order. */
export interface SweepSlice {
  /** The slice's best `top` rows, best first; ties keep grid order. */
  top: SweepRow[];
  /** The ranking metric of each combination in [from, to), in grid order (what a two-parameter grid is built from). */
  metrics: number[];
}

/**
 * Runs combinations [from, to) of a sweep's grid (the order `planBacktest` lists them in): the unit a fanned-out job
 * hands to one worker. Each slice keeps its own top rows; since every combination of the whole sweep's top rows is
 * in its slice's top rows, merging slices (mergeSweepSlices) gives exactly the single run's ranking.
 */
export async function runSweepSlice(bars: BarSeries, spec: BacktestSpec, from: number, to: number, opts: RunOptions = {}): Promise<SweepSlice> {
  const sched = new Scheduler(opts);
  const plan = planBacktest(spec);
  checkBars(bars);
  checkWarmup(plan, bars.length);
  const total = plan.combinations.length;
  if (!plan.isSweep || !(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= total)) {
    throw new EngineInputError(`a sweep slice must lie within the sweep's ${total} combinations, got [${from}, ${to})`, 'params');
  }
  const ws = newWorkspace(bars);
  try {
    const rows: SweepRow[] = [];
    const span = to - from;
    for (let i = from; i < to; i++) {
      const params = plan.combinations[i];
      const run = await runCombination(ws, plan, params, sched, (i - from) / span, 1 / span, false, 'arrays');
      rows.push({ params, stats: run.stats });
    }
    const metrics = rows.map((r) => r.stats[plan.metric as keyof Stats] as number);
    const top = [...rows].sort(compareBy(plan.metric)).slice(0, plan.top);
    sched.finish();
    return { top, metrics };
  } finally {
    disposeWorkspace(ws);
  }
}

/**
 * Merges the slices of one sweep, given in grid order, into what runBacktest returns for the whole sweep, except the
 * winner's trades and curve (runSweepWinner): the same top rows (a stable sort of the concatenated slice tops is the
 * whole sweep's stable sort restricted to them), the same best parameters and the same two-parameter grid.
 */
export function mergeSweepSlices(spec: BacktestSpec, slices: readonly SweepSlice[]): { best: SweepRow; sweep: NonNullable<BacktestResult['sweep']> } {
  const plan = planBacktest(spec);
  const total = plan.combinations.length;
  const metrics = slices.flatMap((s) => s.metrics);
  if (metrics.length !== total) throw new EngineInputError(`the slices hold ${metrics.length} combinations, the sweep has ${total}`, 'params');
  const ranked = slices.flatMap((s) => s.top).sort(compareBy(plan.metric));
  const sweep: NonNullable<BacktestResult['sweep']> = { metric: plan.metric, combinations: total, top: ranked.slice(0, plan.top) };
  const rows = plan.combinations.map((params, i) => ({ params, stats: { [plan.metric]: metrics[i] } as unknown as Stats }));
  const grid = sweepGrid(plan.axes, rows, plan.metric);
  if (grid !== undefined) sweep.grid = grid;
  return { best: ranked[0], sweep };
}

/** The sweep winner's full run, on the same path a whole sweep re-runs it (the indicator and signal arrays). */
export async function runSweepWinner(bars: BarSeries, spec: BacktestSpec, params: ScalarParams, opts: RunOptions = {}): Promise<BacktestResult> {
  const sched = new Scheduler(opts);
  const plan = planBacktest(spec);
  checkBars(bars);
  const ws = newWorkspace(bars);
  try {
    const run = await runCombination(ws, plan, params, sched, 0, 1, true, 'arrays');
    const result: BacktestResult = { params, stats: run.stats, trades: materializeTrades(ws.trades), equityCurve: run.curve! };
    sched.finish();
    return result;
  } finally {
    disposeWorkspace(ws);
  }
}

/**
 * Test and debugging aid: one run of a non-sweep spec with the full per-bar equity, cash and signed position after
 * each close, for invariant checks. `path` picks the strategy's one-pass form (what a single run uses) or the indicator
 * and signal arrays (what a sweep uses), so tests can hold the two to the same results. Not part of the public API.
 */
export async function runWithTrace(
  bars: BarSeries,
  spec: BacktestSpec,
  path: Path = 'direct',
): Promise<BacktestResult & { equity: Float64Array; cash: Float64Array; position: Float64Array }> {
  const plan = planBacktest(spec);
  if (plan.isSweep) throw new EngineInputError('runWithTrace takes a single parameter set', 'params');
  checkBars(bars);
  checkWarmup(plan, bars.length);
  const ws = newWorkspace(bars);
  const trace = { equity: new Float64Array(bars.length), cash: new Float64Array(bars.length), position: new Float64Array(bars.length) };
  const params = plan.combinations[0];
  try {
    const run = await runCombination(ws, plan, params, new Scheduler(), 0, 1, true, path, trace);
    return {
      params,
      stats: run.stats,
      trades: materializeTrades(ws.trades),
      equityCurve: run.curve!,
      ...trace,
    };
  } finally {
    disposeWorkspace(ws);
  }
}
