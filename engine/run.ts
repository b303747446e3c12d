import { EngineInputError } from './errors.ts';
import { EquityTracker, type EquityMarker, type ExecutionTrace } from './equity-tracker.ts';
import { RankingTracker } from './ranking-tracker.ts';
import { Executor } from './execution.ts';
import { release, takeInt8 } from './buffer-pool.ts';
import { IndicatorCache } from './indicator-cache.ts';
import { closePrecisionOf } from './precision.ts';
import { CHUNK, Scheduler } from './scheduler.ts';
import type { IndicatorKernel } from './indicators.ts';
import { planBacktest, type BacktestPlan } from './spec.ts';
import { computeStats, LOWER_IS_BETTER } from './stats.ts';
import { sweepGrid } from './sweep-grid.ts';
import type { ScalarParams, SignalKernel } from './strategies/strategy.ts';
import { toIso } from './time.ts';
import { releaseTradeLog, takeTradeLog, type TradeLog } from './trade-log.ts';
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
  /** A sweep's ranking pass, made on first use (its buffers serve every combination). */
  ranking: RankingTracker | undefined;
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

/** A combination ready to run chunk by chunk: its one-pass kernel, or its fresh indicators, signal pass and executor. */
interface Prepared {
  /** The strategy's one-pass form, when it applies (it drives the executor itself). */
  direct: SignalKernel | undefined;
  /** Indicators this combination computes (not cached yet): stepped over each chunk, then stored in the cache. */
  fresh: { key: string; kernel: IndicatorKernel }[];
  signals: SignalKernel | undefined;
  executor: Executor;
}

const NO_FRESH: Prepared['fresh'] = [];

/**
 * The array path: cached (or freshly computed) indicator arrays, the strategy's signal pass into the workspace's
 * signal array, and the executor over it. A sweep's combinations take it (the one-pass form is not faster when the
 * averages come from the cache), and so does a single run when the one-pass form does not apply. `executor`, when
 * given, is reused (reset by the caller) instead of made.
 */
function prepareArrays(ws: Workspace, plan: BacktestPlan, params: ScalarParams, tracker: EquityMarker, executor?: Executor): Prepared {
  const { bars, cache } = ws;
  const signals = (ws.signals ??= takeInt8(bars.length));
  let fresh = NO_FRESH;
  const indicators: Float64Array[][] = [];
  for (const req of plan.strategy.indicators(params, bars)) {
    const hit = cache.get(req.key);
    if (hit !== undefined) {
      indicators.push(hit);
    } else {
      const kernel = req.make(bars);
      if (fresh === NO_FRESH) fresh = [];
      fresh.push({ key: req.key, kernel });
      indicators.push(kernel.outputs);
    }
  }
  return {
    direct: undefined,
    fresh,
    signals: plan.strategy.signals(bars, indicators, params, signals),
    executor: executor ?? new Executor(bars, signals, plan.execution, tracker, ws.trades),
  };
}

/**
 * Runs a prepared combination's passes chunk by chunk from bar `from` until the scheduler's time slice is used up or
 * the series ends, and returns the bar it stopped at; the caller awaits `sched.pause()` whenever `sched.overdue()`
 * (also after a combination's last chunk) and calls again while the bar is below n. Every pass only needs its inputs
 * up to the current bar, so all passes run over one chunk before the next: a chunk's columns are still in cache when
 * the next pass reads them. Synchronous, so a sweep of short combinations awaits nothing between them unless a yield
 * is due.
 */
function runChunks(ws: Workspace, prep: Prepared, sched: Scheduler, from: number): number {
  const n = ws.bars.length;
  const { direct, fresh, signals, executor } = prep;
  let at = from;
  while (at < n) {
    const to = Math.min(n, at + CHUNK);
    if (direct !== undefined) direct(at, to);
    else {
      for (let k = 0; k < fresh.length; k++) fresh[k].kernel.step(at, to);
      signals!(at, to);
      executor.step(at, to);
    }
    const due = sched.due(to - at);
    at = to;
    if (due) break;
  }
  if (at === n) for (const f of prep.fresh) ws.cache.put(f.key, f.kernel);
  return at;
}

/** runChunks over the whole series, with the yields it asks for. */
async function runAll(ws: Workspace, prep: Prepared, sched: Scheduler): Promise<void> {
  for (let at = 0; at < ws.bars.length; ) {
    at = runChunks(ws, prep, sched, at);
    if (sched.overdue()) await sched.pause();
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
  path: Path,
  trace?: ExecutionTrace,
): Promise<SingleRun> {
  const bars = ws.bars;
  const n = bars.length;
  ws.trades.clear();
  const tracker = new EquityTracker(bars.time, bars.close, n, withCurve, trace, closePrecisionOf(bars) !== null);
  let prep: Prepared | undefined;
  const direct = path === 'direct' ? plan.strategy.direct : undefined;
  if (direct !== undefined) {
    const executor = new Executor(bars, NO_SIGNALS, plan.execution, tracker, ws.trades);
    const kernel = direct(bars, params, executor);
    if (kernel !== undefined) prep = { direct: kernel, fresh: NO_FRESH, signals: undefined, executor };
  }
  // The array path: for a sweep, or when the one-pass form does not apply to these bars.
  prep ??= prepareArrays(ws, plan, params, tracker);
  sched.stage(base, span, n);
  await runAll(ws, prep, sched);
  tracker.finish();
  const stats = computeStats(bars, tracker, ws.trades, plan.execution.initialCash, prep.executor.barsInMarket());
  return withCurve ? { stats, curve: tracker.curvePoints() } : { stats };
}

/**
 * A sweep's ranking pass over combinations [from, to): each one's ranking metric only (RankingTracker), the same double
 * a full run's stats hold, without the curve, Trade objects, dates or the other stats. Progress maps combination i to
 * [i / count, (i + 1) / count) of `span`.
 */
async function rankCombinations(ws: Workspace, plan: BacktestPlan, sched: Scheduler, from: number, to: number): Promise<number[]> {
  const n = ws.bars.length;
  const count = to - from;
  const ranking = (ws.ranking ??= new RankingTracker(ws.bars, plan.metric));
  const signals = (ws.signals ??= takeInt8(n));
  const executor = new Executor(ws.bars, signals, plan.execution, ranking, ws.trades);
  const metrics: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    ws.trades.clear();
    ranking.reset();
    executor.reset(plan.execution.initialCash);
    const prep = prepareArrays(ws, plan, plan.combinations[from + i], ranking, executor);
    sched.stage(i / count, 1 / count, n);
    for (let at = 0; at < n; ) {
      at = runChunks(ws, prep, sched, at);
      if (sched.overdue()) await sched.pause();
    }
    ranking.finish();
    const value = ranking.value(ws.trades, plan.execution.initialCash, prep.executor.barsInMarket());
    // The rare combination the pass cannot decide exactly (equity within 2^-54 of ruin) runs in full instead.
    metrics[i] = value ?? ((await runCombination(ws, plan, plan.combinations[from + i], sched, i / count, 1 / count, false, 'arrays')).stats[plan.metric] as number);
  }
  return metrics;
}

/**
 * Grid positions (0-based within `metrics`) of the best `top` combinations, best first, in the order a stable sort by
 * the metric gives: NaN last, ties in grid order, lower first for LOWER_IS_BETTER metrics.
 */
function rankOrder(metrics: readonly number[], metric: string, top: number): number[] {
  const sign = LOWER_IS_BETTER.has(metric) ? 1 : -1;
  const order = metrics.map((_, i) => i);
  order.sort((a, b) => {
    const x = metrics[a];
    const y = metrics[b];
    const xn = Number.isNaN(x);
    const yn = Number.isNaN(y);
    if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1;
    return x === y ? 0 : sign * (x < y ? -1 : 1);
  });
  return order.slice(0, top);
}

/** The first `max` trades of the log as objects (all of them by default); fill times are looked up from the fill bars. */
function materializeTrades(log: TradeLog, time: Float64Array, max = Number.POSITIVE_INFINITY): Trade[] {
  const k = Math.min(log.count, max);
  const { side, size, entryIndex, exitIndex, entryPrice, exitPrice, pnl } = log;
  const out: Trade[] = new Array(k);
  for (let i = 0; i < k; i++) {
    out[i] = {
      side: side[i] === 1 ? 'long' : 'short',
      size: size[i],
      entryTime: toIso(time[entryIndex[i]]),
      exitTime: toIso(time[exitIndex[i]]),
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
    trades: takeTradeLog(),
    ranking: undefined,
  };
}

function disposeWorkspace(ws: Workspace): void {
  ws.cache.dispose();
  if (ws.signals !== undefined) release([ws.signals]);
  releaseTradeLog(ws.trades);
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
  const maxTrades = checkMaxTrades(opts);
  const ws = newWorkspace(bars);
  try {
    return await runPlan(ws, plan, sched, maxTrades);
  } finally {
    disposeWorkspace(ws);
  }
}

function checkMaxTrades(opts: RunOptions): number {
  const max = opts.maxTrades;
  if (max === undefined) return Number.POSITIVE_INFINITY;
  if (!(Number.isInteger(max) && max >= 0)) throw new EngineInputError(`maxTrades must be a whole number of 0 or more, got ${max}`, 'maxTrades');
  return max;
}

async function runPlan(ws: Workspace, plan: BacktestPlan, sched: Scheduler, maxTrades: number): Promise<BacktestResult> {
  if (!plan.isSweep) {
    const params = plan.combinations[0];
    const run = await runCombination(ws, plan, params, sched, 0, 1, true, 'direct');
    const result: BacktestResult = {
      params,
      stats: run.stats,
      trades: materializeTrades(ws.trades, ws.bars.time, maxTrades),
      tradesTotal: ws.trades.count,
      equityCurve: run.curve!,
    };
    sched.finish();
    return result;
  }

  const total = plan.combinations.length;
  const metrics = await rankCombinations(ws, plan, sched, 0, total);
  const order = rankOrder(metrics, plan.metric, plan.top);
  // Full runs for the rows that are shown, exactly as every combination used to run; the winner's with its trades and
  // curve. The ranking pass computed the same metric, so the order holds (test/engine/ranking-sweep.test.ts).
  const winner = await runCombination(ws, plan, plan.combinations[order[0]], sched, 1, 0, true, 'arrays');
  const trades = materializeTrades(ws.trades, ws.bars.time, maxTrades);
  const tradesTotal = ws.trades.count;
  const top: SweepRow[] = [{ params: plan.combinations[order[0]], stats: winner.stats }];
  for (let r = 1; r < order.length; r++) {
    const params = plan.combinations[order[r]];
    top.push({ params, stats: (await runCombination(ws, plan, params, sched, 1, 0, false, 'arrays')).stats });
  }
  const result: BacktestResult = {
    params: top[0].params,
    stats: winner.stats,
    trades,
    tradesTotal,
    equityCurve: winner.curve!,
    sweep: { metric: plan.metric, combinations: total, top },
  };
  // Every combination's metric, not only the top rows: a two-parameter sweep's heatmap needs the whole grid.
  const grid = sweepGrid(plan.axes, metricRows(plan, metrics, 0), plan.metric);
  if (grid !== undefined) result.sweep!.grid = grid;
  sched.finish();
  return result;
}

/** Rows holding only the ranking metric, for sweepGrid: combinations [from, from + metrics.length). */
function metricRows(plan: BacktestPlan, metrics: readonly number[], from: number): SweepRow[] {
  return metrics.map((value, i) => ({ params: plan.combinations[from + i], stats: { [plan.metric]: value } as unknown as Stats }));
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
    const metrics = await rankCombinations(ws, plan, sched, from, to);
    const top: SweepRow[] = [];
    for (const i of rankOrder(metrics, plan.metric, plan.top)) {
      const params = plan.combinations[from + i];
      top.push({ params, stats: (await runCombination(ws, plan, params, sched, 1, 0, false, 'arrays')).stats });
    }
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
  const maxTrades = checkMaxTrades(opts);
  const ws = newWorkspace(bars);
  try {
    const run = await runCombination(ws, plan, params, sched, 0, 1, true, 'arrays');
    const result: BacktestResult = { params, stats: run.stats, trades: materializeTrades(ws.trades, ws.bars.time, maxTrades), tradesTotal: ws.trades.count, equityCurve: run.curve! };
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
      trades: materializeTrades(ws.trades, ws.bars.time),
      tradesTotal: ws.trades.count,
      equityCurve: run.curve!,
      ...trace,
    };
  } finally {
    disposeWorkspace(ws);
  }
}
