import { allocateBars } from './bars.ts';
import { EngineInputError, UnknownSymbolError } from './errors.ts';
import { detectPrecision } from './precision.ts';
import { DAY_MS } from './time.ts';
import { TIMEFRAMES, type BarSeries, type Timeframe } from './types.ts';

/**
 * SYNTHETIC market data for demos and load tests: prices are random, not real. Deterministic per symbol: the same
 * `SYNTH-*` symbol gives the same bars for the same timestamps whatever range is requested.
 *
 * Model: one daily path from 1970-01-01 (log returns with a per-symbol drift, a slow pull towards a drifting anchor, GARCH(1,1) volatility clustering, and an
 * overnight gap carrying 20% of the daily variance), then per day an intraday random walk from that day's open
 * (GARCH-clustered increments). Timeframes share the daily open, level and volatility but are separate paths. Calendar: Monday-Friday, no holidays; intraday sessions 14:00-21:00 UTC
 * (420 one-minute bars, 7 hourly bars); daily bars are stamped at UTC midnight.
 */

export const SYNTHETIC_PREFIX = 'SYNTH-';
/** Largest series `syntheticSeries` builds (six Float64 columns: about 960 MB). */
export const MAX_SYNTHETIC_BARS = 20_000_000;
const SESSION_START_MS = 14 * 3_600_000;
const SESSION_MINUTES = 420;
const LAST_DAY = Date.UTC(2200, 0, 1) / DAY_MS;
const TIMEFRAME_MINUTES: Record<Timeframe, number> = { '1m': 1, '5m': 5, '15m': 15, '1h': 60, '1d': 1440 };
const GARCH_ALPHA = 0.08;
const GARCH_BETA = 0.9;
const GAP_SHARE = 0.2;
/** Daily pull of the log price towards its drifting anchor (half-life about five years) keeps century-long
 * series in a plausible price range instead of compounding to zero or to billions. */
const REVERSION = Math.LN2 / (5 * 252);

/** mulberry32 with a cached Box-Muller spare; one instance per call, reseeded per day (no per-bar allocation). */
class Rng {
  private state = 0;
  private spare = Number.NaN;

  seed(s: number): void {
    this.state = s | 0;
    this.spare = Number.NaN;
  }

  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), 1 | t);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    const u = 1 - this.uniform(); // (0, 1]: log(0) would be -Infinity
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function hash32(text: string, salt = 0): number {
  let h = 0x811c9dc5 ^ salt;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function isWeekday(day: number): boolean {
  const dow = (day + 4) % 7; // 1970-01-01 was a Thursday
  return dow !== 0 && dow !== 6;
}

function validate(symbol: string, timeframe: Timeframe, startMs: number, endMs: number): void {
  if (typeof symbol !== 'string' || !symbol.startsWith(SYNTHETIC_PREFIX) || symbol.length === SYNTHETIC_PREFIX.length) {
    throw new UnknownSymbolError(String(symbol));
  }
  if (!TIMEFRAMES.includes(timeframe)) {
    throw new EngineInputError(`unknown timeframe ${JSON.stringify(timeframe)} (known: ${TIMEFRAMES.join(', ')})`, 'timeframe');
  }
  if (!Number.isFinite(startMs) || startMs < 0) throw new EngineInputError('synthetic data starts at 1970-01-01', 'start');
  if (!Number.isFinite(endMs) || endMs >= LAST_DAY * DAY_MS) throw new EngineInputError('synthetic data ends before 2200-01-01', 'end');
  if (endMs < startMs) throw new EngineInputError('end is before start', 'end');
}

/** How many bars syntheticSeries returns for this range, without building them (the API prices work with it). */
export function syntheticBarCount(timeframe: Timeframe, startMs: number, endMs: number): number {
  const step = TIMEFRAME_MINUTES[timeframe] * 60_000;
  const daily = timeframe === '1d';
  const perDay = daily ? 1 : SESSION_MINUTES / TIMEFRAME_MINUTES[timeframe];
  const firstDay = Math.floor(startMs / DAY_MS);
  const lastDay = Math.floor(endMs / DAY_MS);
  const barTime = (day: number, j: number): number => (daily ? day * DAY_MS : day * DAY_MS + SESSION_START_MS + j * step);
  let count = 0;
  for (let d = firstDay; d <= lastDay; d++) {
    if (!isWeekday(d)) continue;
    if (d > firstDay && d < lastDay) count += perDay;
    else for (let j = 0; j < perDay; j++) if (barTime(d, j) >= startMs && barTime(d, j) <= endMs) count++;
  }
  return count;
}

/** Deterministic synthetic bars for a `SYNTH-*` symbol with startMs <= time <= endMs. See the module comment. */
export function syntheticSeries(symbol: string, timeframe: Timeframe, startMs: number, endMs: number): BarSeries {
  validate(symbol, timeframe, startMs, endMs);
  const step = TIMEFRAME_MINUTES[timeframe] * 60_000;
  const daily = timeframe === '1d';
  const perDay = daily ? 1 : SESSION_MINUTES / TIMEFRAME_MINUTES[timeframe];
  const firstDay = Math.floor(startMs / DAY_MS);
  const lastDay = Math.floor(endMs / DAY_MS);
  const barTime = (day: number, j: number): number => (daily ? day * DAY_MS : day * DAY_MS + SESSION_START_MS + j * step);

  const count = syntheticBarCount(timeframe, startMs, endMs);
  if (count > MAX_SYNTHETIC_BARS) {
    throw new EngineInputError(`range holds ${count} ${timeframe} bars, more than ${MAX_SYNTHETIC_BARS}`, 'end');
  }

  // Per-symbol character: start price, drift and long-run volatility.
  const symbolSeed = hash32(symbol);
  const rng = new Rng();
  rng.seed(symbolSeed);
  const price0 = 20 + 180 * rng.uniform();
  const annualDrift = -0.02 + 0.06 * rng.uniform();
  const annualVol = 0.15 + 0.3 * rng.uniform();
  const dailyMean = annualDrift / 252;
  const longRunVar = (annualVol * annualVol) / 252;
  const omega = longRunVar * (1 - GARCH_ALPHA - GARCH_BETA);

  const bars = allocateBars(count);
  const { time, open, high, low, close, volume } = bars;
  const dayRng = new Rng();
  const baseVolume = 1e5 + 4e6 * rng.uniform();
  let h = longRunVar;
  let logClose = Math.log(price0);
  let anchor = logClose;
  let k = 0;
  for (let d = 0; d <= lastDay; d++) {
    if (!isWeekday(d)) continue;
    // The daily stream is always walked from 1970 so a day's prices do not depend on the requested range.
    const sd = Math.sqrt(h);
    const gap = sd * Math.sqrt(GAP_SHARE) * rng.normal();
    const body = sd * Math.sqrt(1 - GAP_SHARE) * rng.normal();
    const shock = gap + body;
    h = omega + GARCH_ALPHA * shock * shock + GARCH_BETA * h;
    const logOpen = logClose + gap;
    anchor += dailyMean;
    logClose = logOpen + dailyMean + body - REVERSION * (logOpen - anchor);
    if (d < firstDay) continue;

    dayRng.seed(mix(symbolSeed, d * 8 + TIMEFRAMES.indexOf(timeframe)));
    const barSd = sd * Math.sqrt((1 - GAP_SHARE) / perDay);
    if (daily) {
      const o = cents(Math.exp(logOpen));
      const c = cents(Math.exp(logClose));
      time[k] = barTime(d, 0);
      open[k] = o;
      close[k] = c;
      high[k] = cents(Math.max(o, c) * Math.exp(barSd * 0.8 * dayRng.uniform()));
      low[k] = cents(Math.min(o, c) * Math.exp(-barSd * 0.8 * dayRng.uniform()));
      volume[k] = Math.round(baseVolume * (0.5 + dayRng.uniform()) * (1 + Math.abs(shock) / sd));
      k++;
      continue;
    }
    // Intraday: a random walk from the day's open with GARCH-clustered unit-variance increments. It is not pinned to
    // the daily close (a pinned bridge would mean-revert and punish every trend rule); the next day's open comes from
    // the daily stream again, so the overnight gap also absorbs where the intraday walk ended.
    let q = 1;
    let prev = 0;
    let lastLog = logOpen;
    let lastPrice = cents(Math.exp(logOpen));
    const barDrift = dailyMean / perDay;
    for (let j = 0; j < perDay; j++) {
      q = 1 - GARCH_ALPHA - GARCH_BETA + GARCH_ALPHA * prev * prev + GARCH_BETA * q;
      prev = Math.sqrt(q) * dayRng.normal();
      const logC = lastLog + barDrift + barSd * prev;
      const ts = barTime(d, j);
      // Draw for every bar, in range or not, so a bar does not depend on where the requested range starts.
      const uHigh = dayRng.uniform();
      const uLow = dayRng.uniform();
      const uVol = dayRng.uniform();
      const c = cents(Math.exp(logC));
      if (ts >= startMs && ts <= endMs) {
        const o = lastPrice;
        const wick = barSd * 0.8;
        time[k] = ts;
        open[k] = o;
        close[k] = c;
        high[k] = cents((o > c ? o : c) * (1 + wick * uHigh));
        low[k] = cents((o < c ? o : c) * (1 - wick * uLow));
        volume[k] = Math.round((baseVolume / perDay) * (0.5 + uVol) * (1 + Math.abs(logC - lastLog) / barSd));
        k++;
      }
      lastLog = logC;
      lastPrice = c;
    }
  }
  return { ...bars, closePrecision: detectPrecision(bars.close) };
}

/**
 * Prices are quoted in cents, as real market data is decimal: demos and the bench then take the same exact-tick path
 * through the engine as real data (docs/engine.md, "Numerics"). Rounding is monotone, so OHLC stays ordered; a price
 * never rounds to 0.
 */
function cents(x: number): number {
  return Math.max(0.01, Math.round(x * 100) / 100);
}
