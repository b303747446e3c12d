import { describe, expect, it } from 'vitest';
import { barsFromArrays } from '../../engine/bars.ts';
import { curveBucketSize } from '../../engine/equity-curve.ts';
import { EquityTracker, type ExecutionTrace } from '../../engine/equity-tracker.ts';
import { Executor, type ExecutionConfig } from '../../engine/execution.ts';
import { runWithTrace } from '../../engine/run.ts';
import { CHUNK } from '../../engine/scheduler.ts';
import { EXIT_LONG, EXIT_SHORT, FLAT, LONG, SHORT } from '../../engine/strategies/strategy.ts';
import { TradeLog } from '../../engine/trade-log.ts';
import type { BacktestSpec, BarSeries, Sizing } from '../../engine/types.ts';
import { DAY, rng, trackerSummary } from './helpers.ts';

// The one-pass kernels fill a whole chunk's orders first and then mark all its runs of bars in one call
// (Executor.fillAndMark, EquityTracker.markRuns), and the tracker guesses where the next UTC day starts from the day
// before. These tests hold that path to the plain one (an act and a mark per order, as the kernels did before) and the
// tracker to a bar-by-bar reference written from its documented rules, bit for bit, on series with irregular days.

type Run = { end: number; cash: number; units: number };

/**
 * Intraday bars with irregular days: most sessions of the same 120 one-minute bars (the tracker's guess of the next day
 * start holds), others of 1 to 300 bars 1 to 5 minutes apart from a random time (it does not), on weekdays and some
 * weekend days, with skipped days; closes on a cent grid with flat stretches (ties with the peak).
 */
function irregularIntraday(next: () => number, n: number): BarSeries {
  const time: number[] = [];
  const close: number[] = [];
  let day = Date.UTC(2021, 0, 4) / DAY;
  let ticks = 10_000;
  while (time.length < n) {
    const dow = (day + 4) % 7;
    const weekend = dow === 0 || dow === 6;
    if (!weekend || next() < 0.2) {
      const regular = next() < 0.6;
      const bars = regular ? 120 : 1 + Math.floor(next() * (next() < 0.2 ? 3 : 300));
      let t = day * DAY + (regular ? 14 * 3_600_000 : Math.floor(next() * 6 * 60) * 60_000);
      for (let b = 0; b < bars && time.length < n && t < (day + 1) * DAY; b++) {
        time.push(t);
        if (next() < 0.7) ticks = Math.max(100, ticks + Math.floor(next() * 41) - 20);
        close.push(ticks / 100);
        t += (regular ? 1 : 1 + Math.floor(next() * 5)) * 60_000;
      }
    }
    day += next() < 0.1 ? 3 : 1;
  }
  const open = close.map((c, i) => (i > 0 ? close[i - 1] : c));
  return barsFromArrays({ time, open, high: close.map((c, i) => Math.max(c, open[i])), low: close.map((c, i) => Math.min(c, open[i])), close });
}

/** One bar per calendar day, weekends included (daily data the tracker detects as such). */
function everyDay(next: () => number, n: number): BarSeries {
  const t0 = Date.UTC(2015, 0, 1);
  let ticks = 5000;
  const close = Array.from({ length: n }, () => (ticks = Math.max(100, ticks + Math.floor(next() * 201) - 100)) / 100);
  return barsFromArrays({ time: close.map((_, i) => t0 + i * DAY), open: close, high: close, low: close, close });
}

/** Runs that hit every case: long, short, flat at a new peak, level with it and below it, flat at +0 and -0 cash. */
function randomRuns(next: () => number, close: Float64Array): Run[] {
  const runs: Run[] = [];
  let cash = 1000;
  for (let at = 0; at < close.length; ) {
    const end = Math.min(close.length, at + 1 + Math.floor(next() * (next() < 0.1 ? 500 : 40)));
    const pick = next();
    if (pick < 0.35) runs.push({ end, cash: next() < 0.5 ? 0 : 17, units: cash / close[at] });
    else if (pick < 0.5) runs.push({ end, cash: 2 * cash, units: -cash / close[at] });
    else if (pick < 0.55) runs.push({ end, cash: next() < 0.5 ? 0 : -0, units: 0 });
    else {
      const move = next();
      cash = move < 0.3 ? cash * (1 + next() * 0.1) : move < 0.6 ? cash : cash * (1 - next() * 0.1);
      runs.push({ end, cash, units: next() < 0.5 ? 0 : -0 });
    }
    at = end;
  }
  return runs;
}

/** The tracker's documented rules, bar by bar, with nothing shared with its implementation but curveBucketSize. */
function reference(time: Float64Array, close: Float64Array, runs: Run[]) {
  const n = close.length;
  const e = new Float64Array(n);
  for (let r = 0, at = 0; r < runs.length; at = runs[r++].end) for (let t = at; t < runs[r].end; t++) e[t] = runs[r].cash + runs[r].units * close[t];
  let peak = Number.NEGATIVE_INFINITY;
  let peakIndex = 0;
  let trough = 0;
  let inDrawdown = false;
  let maxDrawdown = 0;
  let drawdownSum = 0;
  let drawdownCount = 0;
  let maxDurationMs = 0;
  const period = (duration: number, depth: number) => {
    maxDurationMs = Math.max(maxDurationMs, duration);
    maxDrawdown = Math.max(maxDrawdown, depth);
    drawdownSum += depth;
    drawdownCount++;
  };
  for (let t = 0; t < n; t++) {
    if (e[t] >= peak) {
      if (inDrawdown) period(time[t] - time[peakIndex], 1 - trough / peak);
      inDrawdown = false;
      peak = e[t];
      peakIndex = t;
      trough = e[t];
    } else {
      inDrawdown = true;
      if (e[t] < trough) trough = e[t];
    }
  }
  if (inDrawdown) period(time[n - 1] - time[peakIndex], 1 - trough / peak);
  const dayCloses: number[] = [];
  let weekendBars = 0;
  for (let t = 0; t < n; t++) {
    const day = Math.floor(time[t] / DAY);
    if (t === n - 1 || Math.floor(time[t + 1] / DAY) !== day) dayCloses.push(e[t]);
    const dow = new Date(time[t]).getUTCDay();
    if (dow === 0 || dow === 6) weekendBars++;
  }
  // Curve: bar 0, buckets of curveBucketSize(n) bars up to the last bar, the last bar; each bucket's first lowest and
  // first highest point, in time order.
  const out = { time: [] as number[], equity: [] as number[] };
  const bounds = [0, 1];
  while (bounds[bounds.length - 1] < n - 1) bounds.push(Math.min(bounds[bounds.length - 1] + curveBucketSize(n), n - 1));
  if (n > 1) bounds.push(n);
  for (let b = 0; b + 1 < bounds.length; b++) {
    let lo = bounds[b];
    let hi = bounds[b];
    for (let t = bounds[b]; t < bounds[b + 1]; t++) {
      if (e[t] < e[lo]) lo = t;
      if (e[t] > e[hi]) hi = t;
    }
    for (const t of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
      out.time.push(time[t]);
      out.equity.push(e[t]);
    }
  }
  return { days: dayCloses.length, dayCloses, weekendBars, peak, maxDrawdown, drawdownSum, drawdownCount, maxDurationMs, curve: out };
}

describe('EquityTracker.markRuns', () => {
  it('marks runs in batches exactly as a mark per run and as the bar-by-bar rules (irregular intraday and daily bars)', () => {
    const next = rng(4242);
    let sameLengthDays = 0;
    for (let round = 0; round < 12; round++) {
      const bars = round % 3 === 2 ? everyDay(next, 300 + Math.floor(next() * 1500)) : irregularIntraday(next, 2000 + Math.floor(next() * 6000));
      const { time, close, length: n } = bars;
      const runs = randomRuns(next, close);
      // Prepare: one tracker gets the runs in random batches, one a mark per run.
      const batched = new EquityTracker(time, close, n, true, undefined, true);
      const single = new EquityTracker(time, close, n, true, undefined, true);
      for (let r = 0; r < runs.length; ) {
        const count = Math.min(runs.length - r, 1 + Math.floor(next() * 20));
        const from = r === 0 ? 0 : runs[r - 1].end;
        const batch = runs.slice(r, r + count);
        batched.markRuns(from, Int32Array.from(batch, (x) => x.end), Float64Array.from(batch, (x) => x.cash), Float64Array.from(batch, (x) => x.units), count);
        r += count;
      }
      for (let r = 0, at = 0; r < runs.length; at = runs[r++].end) single.mark(at, runs[r].end, runs[r].cash, runs[r].units);
      batched.finish();
      single.finish();
      // Assess
      const expected = reference(time, close, runs);
      expect(trackerSummary(batched)).toEqual(expected);
      expect(trackerSummary(single)).toEqual(expected);
      expect(Object.is(batched.peak, expected.peak)).toBe(true);
      const lengths = new Map<number, number>();
      for (const t of time) lengths.set(Math.floor(t / DAY), (lengths.get(Math.floor(t / DAY)) ?? 0) + 1);
      const perDay = [...lengths.values()];
      if (round % 3 !== 2) sameLengthDays += perDay.filter((len, i) => i > 0 && len === perDay[i - 1]).length;
    }
    // Days as long as the day before (the guess holds) and others (it does not) were both marked.
    expect(sameLengthDays).toBeGreaterThan(100);
  });
});

/** The kernels' chunk hand-over before fillAndMark: an act and a mark per order, a cross on the last bar pending. */
function plainChunk(exec: Executor, n: number, from: number, to: number, signalBars: number[], codes: number[]): number {
  let pending = 0;
  let marked = from;
  for (let j = 0; j < signalBars.length; j++) {
    const t = signalBars[j];
    if (t + 1 === to) {
      pending = codes[j];
      continue;
    }
    exec.mark(marked, t + 1);
    exec.act(t + 1, codes[j]);
    marked = t + 1;
  }
  if (to === n) exec.finish(marked);
  else exec.mark(marked, to);
  return pending;
}

function newTrace(n: number): ExecutionTrace {
  return { equity: new Float64Array(n), cash: new Float64Array(n), position: new Float64Array(n) };
}

describe('Executor.fillAndMark', () => {
  it('fills and marks a chunk exactly as an act and a mark per order, with orders at every position of a chunk', () => {
    const next = rng(99);
    const codes = [LONG, SHORT, FLAT, EXIT_LONG, EXIT_SHORT];
    const sizings: Sizing[] = ['all-in', { units: 3 }, { fraction: 0.4 }];
    const positions = new Set<string>();
    for (let round = 0; round < 40; round++) {
      const bars = round % 4 === 3 ? everyDay(next, 200 + Math.floor(next() * 400)) : irregularIntraday(next, 300 + Math.floor(next() * 1500));
      const n = bars.length;
      const cfg: ExecutionConfig = {
        initialCash: 10_000,
        commission: next() < 0.5 ? 0 : 0.001,
        slippageBps: next() < 0.5 ? 0 : 5,
        sizing: sizings[Math.floor(next() * 3)],
        fractional: next() < 0.5,
      };
      const traces = [newTrace(n), newTrace(n)];
      const trackers = traces.map((tr) => new EquityTracker(bars.time, bars.close, n, true, tr, true));
      const logs = [new TradeLog(), new TradeLog()];
      const execs = [0, 1].map((k) => new Executor(bars, new Int8Array(n), cfg, trackers[k], logs[k]));
      const pending = [0, 0];
      // Act: chunks of 1 to 40 bars; each bar of a chunk a signal bar with some probability (the last one too).
      for (let from = 0; from < n; ) {
        const to = Math.min(n, from + 1 + Math.floor(next() * 40));
        const density = next();
        const signalBars: number[] = [];
        const signalCodes: number[] = [];
        for (let t = from; t < to; t++) {
          if (next() < density) {
            signalBars.push(t);
            signalCodes.push(codes[Math.floor(next() * codes.length)]);
            positions.add(`${t - from}/${to - from}`);
          }
        }
        for (let k = 0; k < 2; k++) {
          if (pending[k] !== 0) execs[k].act(from, pending[k]);
          pending[k] = 0;
        }
        pending[0] = plainChunk(execs[0], n, from, to, signalBars, signalCodes);
        let fills = signalBars.length;
        if (fills > 0 && signalBars[fills - 1] + 1 === to) pending[1] = signalCodes[--fills];
        execs[1].fillAndMark(from, to, Int32Array.from(signalBars), Int8Array.from(signalCodes), fills);
        from = to;
      }
      trackers.forEach((t) => t.finish());
      // Assess: the tracker's summary, every bar's equity, cash and position, the trade log and the exposure.
      const ctx = `round ${round}`;
      expect(trackerSummary(trackers[1]), ctx).toEqual(trackerSummary(trackers[0]));
      for (const key of ['equity', 'cash', 'position'] as const) {
        for (let t = 0; t < n; t++) if (!Object.is(traces[1][key][t], traces[0][key][t])) expect.fail(`${ctx} ${key}[${t}]: ${traces[1][key][t]} vs ${traces[0][key][t]}`);
      }
      expect(logs[1].count, ctx).toBe(logs[0].count);
      for (const col of ['side', 'size', 'entryIndex', 'exitIndex', 'entryPrice', 'exitPrice', 'pnl'] as const) {
        expect(Array.from(logs[1][col].subarray(0, logs[1].count)), `${ctx} ${col}`).toEqual(Array.from(logs[0][col].subarray(0, logs[0].count)));
      }
      expect(execs[1].barsInMarket(), ctx).toBe(execs[0].barsInMarket());
    }
    // Orders on a chunk's first bar, inside it and on its last bar (pending into the next chunk) were all exercised.
    expect(positions.has('0/40')).toBe(true);
    expect([...positions].some((p) => p.startsWith('39/'))).toBe(true);
    expect([...positions].some((p) => p === '0/1')).toBe(true);
  });
});

describe('sma-cross one-pass kernel on irregular intraday days', () => {
  it('gives the trades, stats, curve and per-bar equity of the indicator-array path (ties, shorts, chunk boundaries)', async () => {
    const next = rng(31337);
    for (const [fast, slow] of [[1, 3], [2, 5], [5, 21], [9, 40]] as const) {
      for (const allowShort of [false, true]) {
        const bars = irregularIntraday(next, 2 * CHUNK + Math.floor(next() * CHUNK));
        const spec: BacktestSpec = { strategyId: 'sma-cross', params: { fast, slow, allowShort }, initialCash: 10_000, commission: 0.0005, fractional: next() < 0.5 };
        const direct = await runWithTrace(bars, spec, 'direct');
        const arrays = await runWithTrace(bars, spec, 'arrays');
        const ctx = JSON.stringify({ fast, slow, allowShort });
        expect(direct.trades.length, ctx).toBeGreaterThan(10);
        expect(direct.trades, ctx).toStrictEqual(arrays.trades);
        expect(direct.stats, ctx).toStrictEqual(arrays.stats);
        expect(direct.equityCurve, ctx).toStrictEqual(arrays.equityCurve);
        for (const key of ['equity', 'cash', 'position'] as const) {
          for (let t = 0; t < bars.length; t++) if (!Object.is(direct[key][t], arrays[key][t])) expect.fail(`${ctx} ${key}[${t}]`);
        }
      }
    }
  });
});
