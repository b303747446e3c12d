import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bollingerKernel, barsFromArrays, computeIndicator, parseCsv, runBacktest, sliceByTime, smaKernel, syntheticSeries } from '../../engine/index.ts';
import { detectPrecision, rationalOf } from '../../engine/precision.ts';
import { runWithTrace, type Path } from '../../engine/run.ts';
import { CHUNK } from '../../engine/scheduler.ts';
import type { BacktestSpec, BarSeries, Trade } from '../../engine/types.ts';
import { sharedDataFile, describeWithSharedData } from '../support/shared-data.ts';
import { daily, rng } from './helpers.ts';
import { decimalTicks, refBollinger, refSmaCross, writtenDecimals, type RefTrade } from './rational-reference.ts';

/**
 * Issue 10: signals on decimal data are decided exactly (docs/engine.md, "Numerics"). Every engine result here is
 * compared with the plain BigInt reference in rational-reference.ts, on the examples and on random decimal
 * series built to tie often.
 */

const T0 = Date.UTC(2020, 0, 1);
const HOUR = 3_600_000;

/** A series from decimal strings, as a CSV file would give it: each close is Number(text). */
function fromTexts(texts: string[]): BarSeries {
  const close = texts.map(Number);
  return barsFromArrays({ time: close.map((_, i) => T0 + i * HOUR), open: close, high: close, low: close, close });
}

/** A fixed, always affordable size: the reference does not model sizing, only which trades happen when. */
const SIZE: Pick<BacktestSpec, 'initialCash' | 'commission' | 'sizing' | 'fractional'> = {
  initialCash: 1e18,
  commission: 0,
  sizing: { units: 1 },
  fractional: false,
};

function asRef(bars: BarSeries, trades: Trade[]): RefTrade[] {
  const index = new Map([...bars.time].map((t, i) => [new Date(t).toISOString(), i]));
  return trades.map((t) => ({ side: t.side, entry: index.get(t.entryTime)!, exit: index.get(t.exitTime)! }));
}

async function engineTrades(bars: BarSeries, strategyId: string, params: BacktestSpec['params'], path: Path = 'direct'): Promise<RefTrade[]> {
  const r = await runWithTrace(bars, { strategyId, params, ...SIZE }, path);
  return asRef(bars, r.trades);
}

/** Decimal text of an integer tick count. */
function tickText(ticks: number, decimals: number): string {
  if (decimals === 0) return String(ticks);
  const s = String(Math.abs(ticks)).padStart(decimals + 1, '0');
  return `${ticks < 0 ? '-' : ''}${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

/**
 * A tick walk built to tie: flat stretches (equal prices), repeats of an earlier stretch (the same window sums again),
 * and small steps, around `base` ticks.
 */
function tieHeavyTicks(next: () => number, n: number, base: number): number[] {
  const ticks: number[] = [base];
  while (ticks.length < n) {
    const r = next();
    const last = ticks[ticks.length - 1];
    if (r < 0.25) {
      const len = 1 + Math.floor(next() * 6);
      for (let j = 0; j < len; j++) ticks.push(last);
    } else if (r < 0.4 && ticks.length > 40) {
      const from = Math.floor(next() * (ticks.length - 30));
      const len = 3 + Math.floor(next() * 25);
      const shift = last - ticks[from];
      for (let j = 0; j < len; j++) ticks.push(Math.max(1, ticks[from + j] + shift)); // prices stay positive
    } else {
      ticks.push(Math.max(1, last + Math.floor(next() * 7) - 3));
    }
  }
  return ticks.slice(0, n);
}

describe('decimal precision, detected at load', () => {
  it('finds the fewest decimals that reproduce every value, or null for computed values', () => {
    expect(detectPrecision(new Float64Array([12.61, 11.375, 3]))).toEqual({ decimals: 3, scale: 1000, minTicks: 3000, maxTicks: 12610 });
    expect(detectPrecision(new Float64Array([1.07219, 1.0726]))).toMatchObject({ decimals: 5, minTicks: 107219, maxTicks: 107260 });
    expect(detectPrecision(new Float64Array([100, 250]))).toMatchObject({ decimals: 0 });
    expect(detectPrecision(new Float64Array([0.1 + 0.2]))).toBeNull(); // 0.30000000000000004 is not a decimal price
    expect(detectPrecision(new Float64Array([Math.PI]))).toBeNull();
    expect(detectPrecision(new Float64Array([1, Number.NaN]))).toBeNull();
    expect(detectPrecision(new Float64Array([1.123456789]))).toBeNull(); // more than 8 decimals
  });

  it('is recorded by parseCsv, barsFromArrays and syntheticSeries, and kept by sliceByTime', () => {
    const csv = parseCsv('Date,Open,High,Low,Close,Volume\n2024-01-02,10.5,11,10,10.75,1\n2024-01-03,10.8,11.2,10.6,11.1,1\n');
    expect(csv.closePrecision).toEqual({ decimals: 2, scale: 100, minTicks: 1075, maxTicks: 1110 });
    expect(sliceByTime(csv, Date.UTC(2024, 0, 3)).closePrecision).toEqual(csv.closePrecision);
    expect(daily([1, 2.5]).closePrecision).toMatchObject({ decimals: 1 });
    expect(daily([1, Math.E]).closePrecision).toBeNull();
    // Synthetic prices are quoted in cents, like real market data.
    expect(syntheticSeries('SYNTH-A', '1h', T0, T0 + 30 * 86_400_000).closePrecision).toMatchObject({ decimals: 2 });
  });

  it('turns k into the fraction it was written as', () => {
    expect(rationalOf(2)).toEqual({ num: 2, den: 1 });
    expect(rationalOf(1.5)).toEqual({ num: 3, den: 2 });
    expect(rationalOf(2.2)).toEqual({ num: 11, den: 5 });
    expect(rationalOf(0.1)).toEqual({ num: 1, den: 10 });
    const third = rationalOf(1 / 3); // no short decimal: the double's exact binary value
    expect(third.num / third.den).toBe(1 / 3);
    expect(Math.log2(third.den) % 1).toBe(0);
  });
});

describeWithSharedData('issue 10 examples on ORCL daily', ['ORCL-1d.csv'], () => {
  const text = readFileSync(sharedDataFile('ORCL-1d.csv'), 'utf8');
  const bars = parseCsv(text);
  const closeTexts = text.trim().split(/\r?\n/).slice(1).map((line) => line.split(',')[4]);
  const decimals = writtenDecimals(closeTexts);
  const ticks = decimalTicks(closeTexts, decimals);
  const day = (iso: string) => [...bars.time].indexOf(Date.parse(iso));
  const dates = (trades: RefTrade[]) =>
    trades.map((t) => [t.side, new Date(bars.time[t.entry]).toISOString().slice(0, 10), new Date(bars.time[t.exit]).toISOString().slice(0, 10)]);
  const windowSum = (p: number, t: number) => ticks.slice(t - p + 1, t + 1).reduce((a, b) => a + b, 0n);

  it('reads the same closes as the reference', () => {
    expect(ticks).toHaveLength(bars.length);
    expect(bars.closePrecision?.decimals).toBe(6);
  });

  it('sma-cross(10, 30): SMA10 = SMA30 = 11.375 exactly on 2004-06-29 touches and parts, which is no cross: next entry 2004-09-16', async () => {
    const t = day('2004-06-29');
    const scale = 10n ** BigInt(decimals);
    // Prepare: the tie itself, in exact arithmetic.
    expect(windowSum(10, t) * 30n).toBe(windowSum(30, t) * 10n);
    expect(windowSum(10, t)).toBe(113_750n * scale / 1000n);
    // The averages the engine publishes are that exact value too.
    expect(computeIndicator(smaKernel(bars.close, 10))[0][t]).toBe(11.375);
    expect(computeIndicator(smaKernel(bars.close, 30))[0][t]).toBe(11.375);
    for (const path of ['direct', 'arrays'] as const) {
      // Act
      const got = await engineTrades(bars, 'sma-cross', { fast: 10, slow: 30 }, path);
      // Assess
      const in2004 = dates(got).filter(([, entry]) => entry.startsWith('2004-0'));
      expect(in2004, path).toEqual([
        ['long', '2004-04-08', '2004-05-03'],
        ['long', '2004-06-21', '2004-06-24'],
        ['long', '2004-09-16', '2004-12-02'],
      ]);
      expect(got, path).toEqual(refSmaCross(ticks, 10, 30, false));
    }
  });

  it('bollinger(10, 1.5): the close of 2005-11-07 equals the middle band (12.61), so the long is not exited a day early', async () => {
    const t = day('2005-11-07');
    expect(windowSum(10, t)).toBe(10n * ticks[t]); // close = mean, exactly
    expect(bars.close[t]).toBe(12.61);
    const got = await engineTrades(bars, 'bollinger-reversion', { period: 10, k: 1.5 }, 'arrays');
    expect(dates(got)).toContainEqual(['long', '2005-11-04', '2005-11-09']);
    expect(got).toEqual(refBollinger(ticks, 10, 3n, 2n, false));
  });

  it('bollinger(2, 1): every down close is exactly on the lower band, never below it, so there are no trades', async () => {
    // With two values the lower band is their minimum: a down close is the band itself.
    const downs = ticks.filter((x, i) => i > 0 && x < ticks[i - 1]).length;
    expect(downs).toBeGreaterThan(1000);
    for (const allowShort of [false, true]) {
      const r = await runBacktest(bars, { strategyId: 'bollinger-reversion', params: { period: 2, k: 1, allowShort }, initialCash: 10_000, commission: 0 });
      expect(r.trades, `allowShort ${allowShort}`).toEqual([]);
    }
    expect(refBollinger(ticks, 2, 1n, 1n, true)).toEqual([]);
  });

  it('agrees with the rational reference trade for trade on other parameters, long-only and with shorts', async () => {
    for (const allowShort of [false, true]) {
      for (const [fast, slow] of [[1, 2], [1, 20], [5, 20], [10, 30], [20, 50]]) {
        const want = refSmaCross(ticks, fast, slow, allowShort);
        for (const path of ['direct', 'arrays'] as const) {
          expect(await engineTrades(bars, 'sma-cross', { fast, slow, allowShort }, path), `sma ${fast} ${slow} ${allowShort} ${path}`).toEqual(want);
        }
      }
      for (const [period, k, num, den] of [[2, 0.5, 1n, 2n], [3, 1, 1n, 1n], [10, 1.5, 3n, 2n], [20, 2, 2n, 1n], [20, 2.2, 11n, 5n]] as const) {
        const got = await engineTrades(bars, 'bollinger-reversion', { period, k, allowShort }, 'arrays');
        expect(got, `bollinger ${period} ${k} ${allowShort}`).toEqual(refBollinger(ticks, period, num, den, allowShort));
      }
    }
  });
});

const FILES = ['ORCL-1d.csv', 'NVDA-1d.csv', 'YHOO-1d.csv', 'GOOG-1d.csv', 'EURUSD-1h.csv', 'STOXX50E-2006-1d.csv'];

describeWithSharedData('every real data file against the rational reference', FILES, () => {
  for (const file of FILES) {
    it(`${file}: sma-cross (both paths) and bollinger-reversion trade as exact arithmetic decides`, async () => {
      // Prepare: the closes as written in the file, as BigInt ticks.
      const text = readFileSync(sharedDataFile(file), 'utf8');
      const bars = parseCsv(text);
      const lines = text.trim().split(/\r?\n/);
      const col = lines[0].split(',').findIndex((h) => h.trim().toLowerCase() === 'close');
      const closeTexts = lines.slice(1).filter((l) => l.trim() !== '').map((l) => l.split(',')[col]);
      const ticks = decimalTicks(closeTexts, writtenDecimals(closeTexts));
      expect(ticks).toHaveLength(bars.length);
      expect(bars.closePrecision, file).not.toBeNull();
      for (const allowShort of [false, true]) {
        for (const [fast, slow] of [[1, 10], [10, 30]]) {
          const want = refSmaCross(ticks, fast, slow, allowShort);
          for (const path of ['direct', 'arrays'] as const) {
            expect(await engineTrades(bars, 'sma-cross', { fast, slow, allowShort }, path), `${file} sma ${fast} ${slow} ${allowShort} ${path}`).toEqual(want);
          }
        }
        for (const [period, k, num, den] of [[2, 1, 1n, 1n], [20, 2, 2n, 1n], [10, 1.5, 3n, 2n]] as const) {
          const got = await engineTrades(bars, 'bollinger-reversion', { period, k, allowShort }, 'arrays');
          expect(got, `${file} bollinger ${period} ${k} ${allowShort}`).toEqual(refBollinger(ticks, period, num, den, allowShort));
        }
      }
    });
  }
});

describe('exact ties on constructed series', () => {
  it('a constant series at 0.1 never trades on Bollinger bands (the engine bought 100,000 units)', async () => {
    const bars = daily(new Array(300).fill(0.1));
    for (const [period, k] of [[2, 0.5], [20, 2], [7, 0.1]]) {
      const r = await runBacktest(bars, { strategyId: 'bollinger-reversion', params: { period, k, allowShort: true }, initialCash: 10_000, commission: 0 });
      expect(r.trades, `${period} ${k}`).toEqual([]);
    }
  });

  it('decides a tie the same wherever it falls relative to the engine chunks', async () => {
    // The same tie-heavy stretch, shifted so that its ties land on each side of the first chunk boundary.
    const pattern = tieHeavyTicks(rng(5), 400, 1_137_500);
    for (let shift = CHUNK - 260; shift <= CHUNK - 240; shift++) {
      const ticks = [...new Array<number>(shift).fill(pattern[0]), ...pattern];
      const texts = ticks.map((x) => tickText(x, 5));
      const bars = fromTexts(texts);
      const exact = decimalTicks(texts, 5);
      expect(await engineTrades(bars, 'sma-cross', { fast: 10, slow: 30 }, 'direct'), `shift ${shift}`).toEqual(refSmaCross(exact, 10, 30, false));
      expect(await engineTrades(bars, 'sma-cross', { fast: 10, slow: 30 }, 'arrays'), `shift ${shift}`).toEqual(refSmaCross(exact, 10, 30, false));
      expect(await engineTrades(bars, 'bollinger-reversion', { period: 5, k: 1 }, 'arrays'), `shift ${shift}`).toEqual(refBollinger(exact, 5, 1n, 1n, false));
    }
  });
});

describe('variance without cancellation', () => {
  /** Population standard deviation of each window, exactly (BigInt), then one rounding. */
  function exactSd(ticks: bigint[], period: number, scale: number): number[] {
    const out: number[] = [];
    for (let t = period - 1; t < ticks.length; t++) {
      let s = 0n;
      let q = 0n;
      for (let j = t - period + 1; j <= t; j++) {
        s += ticks[j];
        q += ticks[j] * ticks[j];
      }
      out.push(Math.sqrt(Number(BigInt(period) * q - s * s)) / (period * scale));
    }
    return out;
  }

  it('gets the band width right at price 2e6 with sd ~ 0.25 (the running sum of squares was up to 2.6 % off)', () => {
    const next = rng(11);
    const ticks = Array.from({ length: 3000 }, () => 200_000_000 + Math.round((next() - 0.5) * 87));
    const texts = ticks.map((x) => tickText(x, 2));
    const bars = fromTexts(texts);
    const [mid, upper] = computeIndicator(bollingerKernel(bars.close, 20, 2));
    const sd = exactSd(decimalTicks(texts, 2), 20, 100);
    let worst = 0;
    for (let t = 19; t < bars.length; t++) worst = Math.max(worst, Math.abs((upper[t] - mid[t]) / 2 - sd[t - 19]) / sd[t - 19]);
    expect(worst).toBeLessThan(1e-9);
  });

  it('trades as the rational reference at price 5e7 with 0.01 ticks (the engine clamped the deviation to 0 and made 1 trade)', async () => {
    const next = rng(12);
    let x = 5_000_000_000;
    const ticks = Array.from({ length: 4000 }, () => (x += Math.round((next() - 0.5) * 4)));
    const texts = ticks.map((v) => tickText(v, 2));
    const bars = fromTexts(texts);
    const got = await engineTrades(bars, 'bollinger-reversion', { period: 20, k: 2 }, 'arrays');
    expect(got).toEqual(refBollinger(decimalTicks(texts, 2), 20, 2n, 1n, false));
    expect(got.length).toBeGreaterThan(50);
  });

  it('keeps the deviation accurate on data without a decimal precision (Welford, re-seeded two-pass)', () => {
    const next = rng(13);
    const close = Array.from({ length: 3 * CHUNK }, () => 5e7 + (next() - 0.5) * 0.04 + 1e-7 * Math.PI);
    const bars = barsFromArrays({ time: close.map((_, i) => T0 + i * HOUR), open: close, high: close, low: close, close });
    expect(bars.closePrecision).toBeNull();
    const [mid, upper] = computeIndicator(bollingerKernel(bars.close, 20, 2));
    let worst = 0;
    for (let t = 19; t < close.length; t++) {
      // Two-pass over the window, on differences from its first value (exact: Sterbenz), so nothing cancels.
      const w = close.slice(t - 19, t + 1).map((v) => v - close[t - 19]);
      const m = w.reduce((a, b) => a + b, 0) / 20;
      const sd = Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / 20);
      worst = Math.max(worst, Math.abs((upper[t] - mid[t]) / 2 - sd) / sd);
    }
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('property: random decimal series with forced ties against the rational reference', () => {
  const CASES: { decimals: number; base: number; label: string }[] = [
    { decimals: 2, base: 1_000, label: 'cents around 10' },
    { decimals: 0, base: 40, label: 'whole numbers, tiny range' },
    { decimals: 5, base: 107_000, label: 'pips around 1.07' },
    { decimals: 6, base: 20_000_000, label: 'six decimals around 20 (ORCL-like)' },
    { decimals: 2, base: 5_000_000_000, label: 'cents around 5e7 (products beyond 2^53)' },
    { decimals: 8, base: 6_000_000_000_000, label: 'satoshis around 60 000 (huge tick counts)' },
    { decimals: 8, base: 60_000_000_000_000, label: 'satoshis around 600 000 (a sweep compares the tick sums)' },
  ];

  it('sma-cross, both paths, long-only and with shorts: identical trades', async () => {
    const next = rng(2026);
    let trades = 0;
    for (let run = 0; run < 140; run++) {
      // Prepare
      const c = CASES[run % CASES.length];
      const n = run % 40 === 0 ? 2 * CHUNK + 300 : 60 + Math.floor(next() * 300);
      const texts = tieHeavyTicks(next, n, c.base).map((x) => tickText(x, c.decimals));
      const bars = fromTexts(texts);
      const exact = decimalTicks(texts, c.decimals);
      const fast = 1 + Math.floor(next() * 12);
      const slow = fast + 1 + Math.floor(next() * 40);
      const allowShort = next() < 0.5;
      if (slow + 2 > n) continue;
      // Act
      const want = refSmaCross(exact, fast, slow, allowShort);
      const direct = await engineTrades(bars, 'sma-cross', { fast, slow, allowShort }, 'direct');
      const arrays = await engineTrades(bars, 'sma-cross', { fast, slow, allowShort }, 'arrays');
      // Assess
      const ctx = JSON.stringify({ run, label: c.label, n, fast, slow, allowShort });
      expect(direct, ctx).toEqual(want);
      expect(arrays, ctx).toEqual(want);
      trades += want.length;
    }
    expect(trades).toBeGreaterThan(1000);
  });

  it('bollinger-reversion, k as written (0.5, 1, 1.5, 2, 2.2, 3), long-only and with shorts: identical trades', async () => {
    const next = rng(1010);
    const ks: [number, bigint, bigint][] = [[0.5, 1n, 2n], [1, 1n, 1n], [1.5, 3n, 2n], [2, 2n, 1n], [2.2, 11n, 5n], [3, 3n, 1n]];
    let trades = 0;
    for (let run = 0; run < 140; run++) {
      const c = CASES[run % CASES.length];
      const n = run % 40 === 0 ? 2 * CHUNK + 300 : 60 + Math.floor(next() * 300);
      const texts = tieHeavyTicks(next, n, c.base).map((x) => tickText(x, c.decimals));
      const bars = fromTexts(texts);
      const exact = decimalTicks(texts, c.decimals);
      const period = 2 + Math.floor(next() * 25);
      const [k, num, den] = ks[Math.floor(next() * ks.length)];
      const allowShort = next() < 0.5;
      const want = refBollinger(exact, period, num, den, allowShort);
      const got = await engineTrades(bars, 'bollinger-reversion', { period, k, allowShort }, 'arrays');
      expect(got, JSON.stringify({ run, label: c.label, n, period, k, allowShort })).toEqual(want);
      trades += want.length;
    }
    expect(trades).toBeGreaterThan(1000);
  });

  it('a sweep ranks each combination on the same trades as its single run', async () => {
    const next = rng(77);
    const texts = tieHeavyTicks(next, 2000, 1_000).map((x) => tickText(x, 2));
    const bars = fromTexts(texts);
    const exact = decimalTicks(texts, 2);
    const sweep = await runBacktest(bars, { strategyId: 'sma-cross', params: { fast: [2, 3, 5], slow: [8, 13] }, ...SIZE, sweep: { metric: 'trades', top: 6 } });
    for (const row of sweep.sweep!.top) {
      const { fast, slow } = row.params as { fast: number; slow: number };
      expect(row.stats.trades, JSON.stringify(row.params)).toBe(refSmaCross(exact, fast, slow, false).length);
    }
  });
});
