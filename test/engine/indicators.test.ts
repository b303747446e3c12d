import { describe, expect, it } from 'vitest';
import {
  atrKernel, bollingerKernel, computeIndicator, donchianKernel, emaKernel, macdKernel, rsiKernel, smaKernel,
  type IndicatorKernel,
} from '../../engine/index.ts';
import { closeTo, rng } from './helpers.ts';

// Naive textbook formulas, written for clarity and computed bar by bar from scratch.
const naiveSma = (x: number[], p: number) => x.map((_, i) => (i < p - 1 ? NaN : x.slice(i - p + 1, i + 1).reduce((a, b) => a + b, 0) / p));
function naiveEma(x: number[], p: number, start = 0): number[] {
  const out = x.map(() => NaN);
  const a = 2 / (p + 1);
  for (let i = start + p - 1; i < x.length; i++) {
    out[i] = i === start + p - 1 ? x.slice(start, start + p).reduce((s, v) => s + v, 0) / p : a * x[i] + (1 - a) * out[i - 1];
  }
  return out;
}
function naiveRsi(x: number[], p: number): number[] {
  const out = x.map(() => NaN);
  let g = 0, l = 0;
  for (let i = 1; i < x.length; i++) {
    const d = x[i] - x[i - 1];
    const gain = Math.max(d, 0), loss = Math.max(-d, 0);
    if (i <= p) { g += gain / p; l += loss / p; } else { g = (g * (p - 1) + gain) / p; l = (l * (p - 1) + loss) / p; }
    if (i >= p) out[i] = l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l);
  }
  return out;
}
const naiveStd = (w: number[]) => { const m = w.reduce((a, b) => a + b, 0) / w.length; return Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / w.length); };

function series(n: number, seed: number) {
  const next = rng(seed);
  const close: number[] = [], high: number[] = [], low: number[] = [];
  let p = 100;
  for (let i = 0; i < n; i++) {
    p *= 1 + (next() - 0.5) * 0.04;
    close.push(p);
    high.push(p * (1 + next() * 0.02));
    low.push(p * (1 - next() * 0.02));
  }
  return { close, high, low, c: Float64Array.from(close), h: Float64Array.from(high), l: Float64Array.from(low) };
}

function expectClose(actual: ArrayLike<number>, expected: number[], label: string, rel = 1e-9) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!closeTo(actual[i], expected[i], rel)) expect.fail(`${label}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Runs a kernel in uneven chunks, as the engine does between event-loop yields. */
function chunked(k: IndicatorKernel, cuts: number[]): Float64Array[] {
  let from = 0;
  for (const to of [...cuts, k.length]) { k.step(from, to); from = to; }
  return k.outputs;
}

describe('indicators match naive formulas', () => {
  const { close, high, low, c, h, l } = series(700, 7);
  const cuts = [1, 5, 33, 300, 301, 512];

  it('SMA (period 1 is the close itself)', () => {
    for (const p of [1, 2, 7, 50]) expectClose(chunked(smaKernel(c, p), cuts)[0], naiveSma(close, p), `sma${p}`);
    expect(computeIndicator(smaKernel(c, 1))[0]).toBe(c);
  });

  it('EMA seeded with the SMA of the first period', () => {
    for (const p of [1, 3, 12, 26]) expectClose(chunked(emaKernel(c, p), cuts)[0], naiveEma(close, p), `ema${p}`);
  });

  it('RSI with Wilder smoothing', () => {
    for (const p of [2, 14, 30]) expectClose(chunked(rsiKernel(c, p), cuts)[0], naiveRsi(close, p), `rsi${p}`, 1e-8);
    const flat = computeIndicator(rsiKernel(Float64Array.from([5, 5, 5, 5]), 2))[0];
    expect([...flat].slice(2)).toEqual([50, 50]);
  });

  it('Bollinger bands with population standard deviation', () => {
    const [mid, up, lo] = chunked(bollingerKernel(c, 20, 2), cuts);
    const sd = close.map((_, i) => (i < 19 ? NaN : naiveStd(close.slice(i - 19, i + 1))));
    expectClose(mid, naiveSma(close, 20), 'mid');
    expectClose(up, naiveSma(close, 20).map((m, i) => m + 2 * sd[i]), 'upper', 1e-8);
    expectClose(lo, naiveSma(close, 20).map((m, i) => m - 2 * sd[i]), 'lower', 1e-8);
  });

  it('MACD line, signal and histogram', () => {
    const [macd, sig, hist] = chunked(macdKernel(c, 12, 26, 9), cuts);
    const line = naiveEma(close, 12).map((f, i) => f - naiveEma(close, 26)[i]);
    const signal = naiveEma(line, 9, 25);
    expectClose(macd, line, 'macd');
    expectClose(sig, signal, 'signal');
    expectClose(hist, line.map((m, i) => m - signal[i]), 'hist');
  });

  it('ATR with Wilder smoothing of the true range', () => {
    const tr = close.map((_, i) => (i === 0 ? high[0] - low[0] : Math.max(high[i] - low[i], Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1]))));
    const atr = close.map(() => NaN);
    for (let i = 13; i < close.length; i++) atr[i] = i === 13 ? tr.slice(0, 14).reduce((a, b) => a + b, 0) / 14 : (atr[i - 1] * 13 + tr[i]) / 14;
    expectClose(chunked(atrKernel(h, l, c, 14), cuts)[0], atr, 'atr');
  });

  it('Donchian channel: highest high and lowest low of the window', () => {
    for (const p of [1, 3, 20, 400]) {
      const [up, lo, mid] = chunked(donchianKernel(h, l, p), cuts);
      const eu = high.map((_, i) => (i < p - 1 ? NaN : Math.max(...high.slice(i - p + 1, i + 1))));
      const el = low.map((_, i) => (i < p - 1 ? NaN : Math.min(...low.slice(i - p + 1, i + 1))));
      expectClose(up, eu, `donchian${p}.upper`);
      expectClose(lo, el, `donchian${p}.lower`);
      expectClose(mid, eu.map((u, i) => (u + el[i]) / 2), `donchian${p}.mid`);
    }
  });
});
