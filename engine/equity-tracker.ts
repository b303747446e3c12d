import { curveBucketSize } from './equity-curve.ts';
import { DAY_MS } from './time.ts';

/** Per-bar equity, cash and signed position after each close, for invariant checks; three arrays, so opt-in. */
export interface ExecutionTrace {
  equity: Float64Array;
  cash: Float64Array;
  position: Float64Array;
}

/** What marks equity for the executor: the full run's EquityTracker, or a sweep's RankingTracker (engine/ranking-tracker.ts). */
export interface EquityMarker {
  /** Marks bars [from, to), called in order over consecutive ranges from 0, with the cash and units held over them. */
  mark(from: number, to: number, cash: number, units: number): void;
  /**
   * Optional: marks `count` consecutive runs from bar `from` in one call, run r ending at `ends[r]` with `cash[r]` and
   * `units[r]` held over it; the same as a `mark` per run (the one-pass kernels use it, Executor.fillAndMark).
   */
  markRuns?(from: number, ends: Int32Array, cash: Float64Array, units: Float64Array, count: number): void;
}

/** The drawdown side of the stats (see computeStats). */
export interface DrawdownSummary {
  /** Highest equity at any close. */
  readonly peak: number;
  /** Deepest drawdown as a fraction of its peak (positive), and the sum and count of all drawdown periods' depths. */
  readonly maxDrawdown: number;
  readonly drawdownSum: number;
  readonly drawdownCount: number;
  /** Longest time from a peak to its recovery (or to the last bar), in ms. */
  readonly maxDurationMs: number;
  /** Bars on Saturdays and Sundays (UTC), which decides the annualisation factor. */
  readonly weekendBars: number;
}

/** What the stats need from the equity curve (see computeStats). */
export interface EquitySummary extends DrawdownSummary {
  /** Equity at the last bar of each UTC day, `days` values. */
  readonly dayCloses: Float64Array;
  readonly days: number;
}

/**
 * Marks equity (`cash + units * close`) at every close and measures the curve in the same loop: running peak and
 * drawdown periods, the equity at the end of each UTC day, weekend bars, and the min/max points of the downsampled
 * curve. The executor calls `mark` for each run of bars between two fills, so equity is never written to a column and
 * read back by later passes (those passes were a third of a single run's time); the full column exists only in a trace.
 *
 * Drawdown: a bar at or above the running peak ends the current drawdown period; its depth is 1 - trough / peak and
 * its duration runs from the peak's bar to the recovering bar (or the last bar if never recovered).
 * Curve: the first and last bars, plus the lowest and the highest point of each of at most 249 equal index buckets
 * in between (first occurrence on ties, in time order), so peaks and troughs survive the downsampling.
 */
export class EquityTracker implements EquitySummary, EquityMarker {
  private readonly time: Float64Array;
  private readonly close: Float64Array;
  private readonly n: number;
  private readonly trace: ExecutionTrace | undefined;

  peak = Number.NEGATIVE_INFINITY;
  private peakIndex = 0;
  private inDrawdown = false;
  private trough = 0; // lowest equity since the current peak
  maxDrawdown = 0;
  drawdownSum = 0;
  drawdownCount = 0;
  maxDurationMs = 0;

  weekendBars = 0;
  dayCloses: Float64Array;
  days = 0;
  /** Index of the first bar of the next UTC day (n when the current day is the last). */
  private nextDay = 0;
  /** Bars in the current day: the first guess for where the next one ends (startDay). */
  private dayBars = 0;
  /** Sum of loads made only to bring a line into cache (kept, so they are not optimised away). */
  private touched = 0;
  private weekend = 0;
  /** Equity at the last marked bar. */
  private lastEquity = Number.NaN;

  private readonly curve: boolean;
  private readonly bucket: number;
  /** End of the current curve bucket: [0, 1), then [1, 1 + bucket), ... clamped to the last bar, then [n - 1, n). */
  private bucketEnd = 1;
  private minIndex = -1;
  private maxIndex = -1;
  private minValue = 0;
  private maxValue = 0;
  private readonly outTime: number[] = [];
  private readonly outEquity: number[] = [];
  /** mark()'s one run, as markRuns takes it. */
  private readonly oneEnd = new Int32Array(1);
  private readonly oneCash = new Float64Array(1);
  private readonly oneUnits = new Float64Array(1);

  /**
   * Weekend bars before each index, when every bar is on its own UTC day (daily data): then each bar's equity is its
   * day's close, so marking writes them straight into `dayCloses` instead of finding each day's end bar by bar (that
   * search, once per bar on daily data, was most of a sweep combination's cost). Undefined for intraday data.
   */
  private readonly daily: Int32Array | undefined;

  /** Every close is finite, so a flat run's equity `cash + 0 * close` is `cash` at every bar (see mark). */
  private readonly finiteCloses: boolean;
  constructor(time: Float64Array, close: Float64Array, n: number, withCurve: boolean, trace?: ExecutionTrace, finiteCloses = false) {
    this.time = time;
    this.close = close;
    this.n = n;
    this.trace = trace;
    this.finiteCloses = finiteCloses;
    this.curve = withCurve;
    this.bucket = curveBucketSize(n);
    this.daily = n === time.length ? weekendPrefixIfDaily(time) : undefined;
    if (this.daily !== undefined) {
      this.dayCloses = new Float64Array(n);
      this.nextDay = n; // no day boundary to look for: every bar is one
    } else {
      this.dayCloses = new Float64Array(Math.min(n, 1024));
    }
  }

  private pushDay(value: number): void {
    if (this.days === this.dayCloses.length) {
      const b = new Float64Array(this.days * 2);
      b.set(this.dayCloses);
      this.dayCloses = b;
    }
    this.dayCloses[this.days++] = value;
  }

  /** Bar i opens a new UTC day: records the previous day's close and finds where this day ends. */
  private startDay(i: number): void {
    const time = this.time;
    const n = this.n;
    if (i > 0) this.pushDay(this.lastEquity);
    const day = Math.floor(time[i] / DAY_MS);
    const dayEnd = (day + 1) * DAY_MS;
    const dow = (day + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday
    this.weekend = dow === 0 || dow === 6 ? 1 : 0;
    // The first bar at or after dayEnd (times strictly increase). Most days have as many bars as the day before, so
    // that guess is checked first; else gallop then bisect. Each probe into a column of millions of bars is a cache
    // miss, and the gallop's ten or so dependent ones per day were about a third of marking a 10 M-bar run.
    const guess = i + this.dayBars;
    let lo = i + 1; // every index in [i, lo) is before dayEnd
    if (guess > i + 1 && guess <= n && time[guess - 1] < dayEnd && (guess === n || time[guess] >= dayEnd)) {
      lo = guess;
    } else {
      let probe = i + 1;
      let step = 1;
      while (probe < n && time[probe] < dayEnd) {
        lo = probe + 1;
        probe = i + 1 + step;
        step *= 2;
      }
      let hi = Math.min(probe, n);
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (time[mid] < dayEnd) lo = mid + 1;
        else hi = mid;
      }
    }
    this.dayBars = lo - i;
    this.nextDay = lo;
    // Load the next day's guessed boundary now, so its miss overlaps with marking this day (the sum keeps the load).
    if (lo + this.dayBars < n) this.touched += time[lo + this.dayBars];
  }

  /** Bar i opens a new curve bucket: emits the previous bucket's low and high in time order. */
  private startBucket(i: number): void {
    if (this.curve && this.minIndex >= 0) {
      const a = Math.min(this.minIndex, this.maxIndex);
      const b = Math.max(this.minIndex, this.maxIndex);
      this.outTime.push(this.time[a]);
      this.outEquity.push(a === this.minIndex ? this.minValue : this.maxValue);
      if (b !== a) {
        this.outTime.push(this.time[b]);
        this.outEquity.push(b === this.minIndex ? this.minValue : this.maxValue);
      }
    }
    this.minIndex = -1;
    this.maxIndex = -1;
    const last = this.n - 1;
    this.bucketEnd = i === 0 ? 1 : i >= last ? this.n : Math.min(i + this.bucket, last);
  }

  private recordDrawdown(durationMs: number, depth: number): void {
    if (durationMs > this.maxDurationMs) this.maxDurationMs = durationMs;
    if (depth > this.maxDrawdown) this.maxDrawdown = depth;
    this.drawdownSum += depth;
    this.drawdownCount++;
  }

  /** Marks bars [from, to), called in order over consecutive ranges from 0, with the cash and units held over them. */
  mark(from: number, to: number, cash: number, units: number): void {
    this.oneEnd[0] = to;
    this.oneCash[0] = cash;
    this.oneUnits[0] = units;
    this.markRuns(from, this.oneEnd, this.oneCash, this.oneUnits, 1);
  }

  /**
   * Marks `count` consecutive runs of bars from `from`: run r ends at `ends[r]` (exclusive) with `cashes[r]` and
   * `unitses[r]` held over it. The tracker's state stays in locals across all the runs, and is written back only around
   * the rare day and curve-bucket boundaries and at the end: a one-pass kernel marks a whole chunk's runs in one call.
   */
  markRuns(from: number, ends: Int32Array, cashes: Float64Array, unitses: Float64Array, count: number): void {
    const { time, close, trace, daily } = this;
    if (trace !== undefined) {
      for (let r = 0, at = from; r < count; at = ends[r++]) {
        for (let t = at; t < ends[r]; t++) trace.equity[t] = cashes[r] + unitses[r] * close[t];
        trace.cash.fill(cashes[r], at, ends[r]);
        trace.position.fill(unitses[r], at, ends[r]);
      }
    }
    const finite = this.finiteCloses;
    let nextDay = this.nextDay;
    let bucketEnd = this.bucketEnd;
    let weekend = this.weekend;
    let weekendBars = this.weekendBars;
    let peak = this.peak;
    let peakIndex = this.peakIndex;
    let trough = this.trough;
    let inDrawdown = this.inDrawdown;
    let lo = this.minValue;
    let hi = this.maxValue;
    let minIndex = this.minIndex;
    let maxIndex = this.maxIndex;
    let maxDurationMs = this.maxDurationMs;
    let maxDrawdown = this.maxDrawdown;
    let drawdownSum = this.drawdownSum;
    let drawdownCount = this.drawdownCount;
    let e = this.lastEquity;
    let i = from;
    for (let r = 0; r < count; r++) {
      const to = ends[r];
      const cash = cashes[r];
      const units = unitses[r];
      // Flat with cash other than 0 over finite closes: every bar's equity is exactly `cash` (x + ±0 is x for x != 0).
      // After the first bar of such a run nothing changes but the peak's index, when the first bar was at the peak (it
      // then is the peak, and each later bar sets the index again): so only the first bar is looped over. A long-only
      // run is flat about half its bars, and this loop was a fifth of a single run's time.
      const constant = units === 0 && cash !== 0 && finite;
      while (i < to) {
        if (i === nextDay || i === bucketEnd || i === 0) {
          // Rare (a new UTC day or curve bucket): the helpers work on the fields, so the locals they read go back first.
          this.lastEquity = e;
          this.minValue = lo;
          this.maxValue = hi;
          this.minIndex = minIndex;
          this.maxIndex = maxIndex;
          if (i === nextDay) this.startDay(i);
          if (i === bucketEnd || i === 0) this.startBucket(i);
          nextDay = this.nextDay;
          weekend = this.weekend;
          bucketEnd = this.bucketEnd;
          minIndex = this.minIndex;
          maxIndex = this.maxIndex;
        }
        let end = to;
        if (nextDay < end) end = nextDay;
        if (bucketEnd < end) end = bucketEnd;
        if (daily !== undefined) {
          weekendBars += daily[end] - daily[i];
          const dc = this.dayCloses;
          for (let t = i; t < end; t++) dc[t] = cash + units * close[t];
        } else {
          weekendBars += weekend * (end - i);
        }
        if (minIndex < 0) {
          minIndex = maxIndex = i;
          lo = hi = cash + units * close[i];
        }
        const loopEnd = constant ? i + 1 : end;
        // The per-bar loop, on locals: equity, peak and trough, bucket low and high.
        for (let t = i; t < loopEnd; t++) {
          e = cash + units * close[t];
          if (e >= peak) {
            if (inDrawdown) {
              // Inline, not a call: a call in the loop, even on a rare branch, costs the loop its registers.
              const duration = time[t] - time[peakIndex];
              const depth = 1 - trough / peak;
              if (duration > maxDurationMs) maxDurationMs = duration;
              if (depth > maxDrawdown) maxDrawdown = depth;
              drawdownSum += depth;
              drawdownCount++;
              inDrawdown = false;
            }
            peak = e;
            peakIndex = t;
            trough = e;
          } else {
            // The depth of a period is 1 - trough / peak: track the trough, divide once when the period ends.
            inDrawdown = true;
            if (e < trough) trough = e;
          }
          if (e < lo) {
            lo = e;
            minIndex = t;
          } else if (e > hi) {
            hi = e;
            maxIndex = t;
          }
        }
        if (constant && e >= peak) peakIndex = end - 1;
        i = end;
      }
    }
    this.weekendBars = weekendBars;
    this.peak = peak;
    this.peakIndex = peakIndex;
    this.trough = trough;
    this.inDrawdown = inDrawdown;
    this.minValue = lo;
    this.maxValue = hi;
    this.minIndex = minIndex;
    this.maxIndex = maxIndex;
    this.maxDurationMs = maxDurationMs;
    this.maxDrawdown = maxDrawdown;
    this.drawdownSum = drawdownSum;
    this.drawdownCount = drawdownCount;
    this.lastEquity = e;
  }

  /** After the last bar: closes an unrecovered drawdown, records the last day and the curve's last points. */
  finish(): void {
    const n = this.n;
    if (this.inDrawdown) {
      this.recordDrawdown(this.time[n - 1] - this.time[this.peakIndex], 1 - this.trough / this.peak);
      this.inDrawdown = false;
    }
    if (this.daily !== undefined) this.days = n;
    else this.pushDay(this.lastEquity);
    this.startBucket(n);
  }

  /** The downsampled curve (at most MAX_CURVE_POINTS points); `time` in epoch ms. */
  curvePoints(): { time: number[]; equity: number[] } {
    return { time: this.outTime, equity: this.outEquity };
  }
}

const dailyIndexes = new WeakMap<Float64Array, Int32Array | null>();

/** Prefix counts of weekend bars when every bar is on a later UTC day than the one before, else undefined; cached per series. */
export function weekendPrefixIfDaily(time: Float64Array): Int32Array | undefined {
  let known = dailyIndexes.get(time);
  if (known === undefined) {
    known = null;
    const n = time.length;
    const prefix = new Int32Array(n + 1);
    let previous = Number.NEGATIVE_INFINITY;
    let ok = n > 0;
    for (let i = 0; i < n && ok; i++) {
      const day = Math.floor(time[i] / DAY_MS);
      if (!(day > previous)) ok = false;
      previous = day;
      const dow = (day + 4) % 7; // as startDay: 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday
      prefix[i + 1] = prefix[i] + (dow === 0 || dow === 6 ? 1 : 0);
    }
    if (ok) known = prefix;
    dailyIndexes.set(time, known);
  }
  return known ?? undefined;
}
