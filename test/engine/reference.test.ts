import { describe, expect, it } from 'vitest';
import { barsFromArrays } from '../../engine/bars.ts';
import { runWithTrace } from '../../engine/run.ts';
import type { BarSeries, Sizing } from '../../engine/types.ts';
import { closeTo, rng } from './helpers.ts';

/**
 * An independent, deliberately plain sma-cross backtester: naive window sums, one loop, no shared code with the
 * engine. If both agree on many random series and settings, the optimised engine implements DESIGN.md's rules.
 */
interface RefTrade { side: number; size: number; entry: number; exit: number; entryPrice: number; exitPrice: number; pnl: number }

function referenceSmaCross(
  bars: BarSeries,
  fast: number,
  slow: number,
  allowShort: boolean,
  cash0: number,
  commission: number,
  slippageBps: number,
  sizing: Sizing,
  fractional: boolean,
  cents = false,
): { equity: number[]; trades: RefTrade[]; held: number } {
  const n = bars.length;
  const sma = (p: number, t: number): number => {
    if (t < p - 1) return NaN;
    let s = 0;
    for (let j = t - p + 1; j <= t; j++) s += bars.close[j];
    return s / p;
  };
  // Prices in cents: the averages are compared exactly, as integer cent sums cross-multiplied by the window lengths
  // (the engine's rule on decimal data, docs/engine.md "Numerics"); otherwise as plain float averages.
  const centSum = (p: number, t: number): number => {
    let s = 0;
    for (let j = t - p + 1; j <= t; j++) s += Math.round(bars.close[j] * 100);
    return s;
  };
  const side = (t: number): number =>
    t < slow - 1 ? NaN : cents ? Math.sign(centSum(fast, t) * slow - centSum(slow, t) * fast) : Math.sign(sma(fast, t) - sma(slow, t));
  const slip = slippageBps / 10000;
  let cash = cash0;
  let units = 0; // signed
  let entry = -1;
  let entryPrice = 0;
  let entryCommission = 0;
  const trades: RefTrade[] = [];
  const equity: number[] = [];
  let pending = 0; // +1 go long, -1 go short, 2 go flat, 0 nothing
  let held = 0; // bars whose close is marked with a position

  const exit = (t: number, price: number): void => {
    if (units > 0) {
      const fill = price * (1 - slip);
      const c = units * fill * commission;
      cash = cash + units * fill - c;
      trades.push({ side: 1, size: units, entry, exit: t, entryPrice, exitPrice: fill, pnl: units * fill - units * entryPrice - entryCommission - c });
    } else {
      const size = -units;
      const fill = price * (1 + slip);
      const c = size * fill * commission;
      cash = cash - size * fill - c;
      trades.push({ side: -1, size, entry, exit: t, entryPrice, exitPrice: fill, pnl: size * entryPrice - size * fill - entryCommission - c });
    }
    units = 0;
  };

  for (let t = 0; t < n; t++) {
    if (pending !== 0) {
      const want = pending === 2 ? 0 : pending;
      const have = units > 0 ? 1 : units < 0 ? -1 : 0;
      if (want !== have) {
        if (have !== 0) exit(t, bars.open[t]);
        if (want !== 0) {
          const fill = want === 1 ? bars.open[t] * (1 + slip) : bars.open[t] * (1 - slip);
          const equityNow = cash;
          let size: number;
          if (sizing === 'all-in') size = equityNow / (fill * (1 + commission));
          else if ('fraction' in sizing) size = (sizing.fraction * equityNow) / (fill * (1 + commission));
          else size = Math.min(sizing.units, equityNow / (fill * (1 + commission)));
          if (!fractional) size = Math.floor(size);
          if (size > 0) {
            const c = size * fill * commission;
            cash = want === 1 ? cash - size * fill - c : cash + size * fill - c;
            units = want * size;
            entry = t;
            entryPrice = fill;
            entryCommission = c;
          }
        }
      }
      pending = 0;
    }
    if (units !== 0) held++;
    if (t === n - 1 && units !== 0) exit(t, bars.close[t]);
    equity.push(cash + units * bars.close[t]);
    if (t >= 1) {
      const d0 = side(t - 1), d1 = side(t);
      if (d0 < 0 && d1 > 0) pending = 1;
      else if (d0 > 0 && d1 < 0) pending = allowShort ? -1 : 2;
    }
  }
  return { equity, trades, held };
}

/** A random walk; with `cents`, every price is quoted in cents (decimal data, where the averages often tie). */
function randomSeries(next: () => number, n: number, cents = false): BarSeries {
  const q = (x: number): number => (cents ? Math.max(0.01, Math.round(x * 100) / 100) : x);
  const time: number[] = [], open: number[] = [], high: number[] = [], low: number[] = [], close: number[] = [];
  let price = 20 + next() * 200;
  for (let i = 0; i < n; i++) {
    const o = q(price * (1 + (next() - 0.5) * 0.02));
    const c = q(o * (1 + (next() - 0.5) * (cents ? 0.004 : 0.06)));
    time.push(Date.UTC(2015, 0, 1) + i * 3_600_000);
    open.push(o);
    close.push(c);
    high.push(q(Math.max(o, c) * (1 + next() * 0.01)));
    low.push(q(Math.min(o, c) * (1 - next() * 0.01)));
    price = c;
  }
  return barsFromArrays({ time, open, high, low, close });
}

describe('engine vs an independent reference implementation (sma-cross)', () => {
  it('agrees on trades and per-bar equity to 1e-9 over 300 random series and settings', async () => {
    const next = rng(20240611);
    let compared = 0;
    let totalTrades = 0;
    for (let run = 0; run < 300; run++) {
      // Prepare
      const cents = run % 2 === 1; // half the series decimal, where the exact rule decides ties
      const bars = randomSeries(next, 40 + Math.floor(next() * 400), cents);
      const fast = 1 + Math.floor(next() * 8);
      const slow = fast + 1 + Math.floor(next() * 20);
      const allowShort = next() < 0.5;
      const commission = [0, 0.0005, 0.001, 0.01][Math.floor(next() * 4)];
      const slippageBps = [0, 1, 10, 50][Math.floor(next() * 4)];
      const fractional = next() < 0.3;
      const pick = next();
      const sizing: Sizing = pick < 0.5 ? 'all-in' : pick < 0.75 ? { fraction: 0.1 + next() * 0.9 } : { units: 1 + Math.floor(next() * 200) };
      const initialCash = 1000 + Math.floor(next() * 100_000);
      if (slow + 2 > bars.length) continue;
      // Act
      const ref = referenceSmaCross(bars, fast, slow, allowShort, initialCash, commission, slippageBps, sizing, fractional, cents);
      const got = await runWithTrace(bars, { strategyId: 'sma-cross', params: { fast, slow, allowShort }, initialCash, commission, slippageBps, sizing, fractional });
      // Assess
      const ctx = JSON.stringify({ run, cents, fast, slow, allowShort, commission, slippageBps, sizing, fractional });
      expect(got.trades.length, ctx).toBe(ref.trades.length);
      for (let i = 0; i < ref.trades.length; i++) {
        const a = got.trades[i];
        const b = ref.trades[i];
        expect(a.side, ctx).toBe(b.side === 1 ? 'long' : 'short');
        expect(a.entryTime, ctx).toBe(new Date(bars.time[b.entry]).toISOString());
        expect(a.exitTime, ctx).toBe(new Date(bars.time[b.exit]).toISOString());
        for (const [x, y] of [[a.size, b.size], [a.entryPrice, b.entryPrice], [a.exitPrice, b.exitPrice], [a.pnl, b.pnl]]) {
          expect(closeTo(x, y), `${ctx} trade ${i}: ${x} vs ${y}`).toBe(true);
        }
      }
      for (let t = 0; t < bars.length; t++) {
        if (!closeTo(got.equity[t], ref.equity[t])) expect.fail(`${ctx} bar ${t}: equity ${got.equity[t]} vs ${ref.equity[t]}`);
      }
      expect(closeTo(got.stats.equityFinal, ref.equity[bars.length - 1])).toBe(true);
      expect(got.stats.exposurePct, ctx).toBeCloseTo((ref.held / bars.length) * 100, 9);
      let peak = -Infinity;
      let maxDd = 0;
      for (const e of ref.equity) {
        peak = Math.max(peak, e);
        maxDd = Math.max(maxDd, 1 - e / peak);
      }
      expect(closeTo(got.stats.maxDrawdownPct, -maxDd * 100, 1e-9), `${ctx}: max drawdown`).toBe(true);
      expect(closeTo(got.stats.returnPct, (ref.equity[bars.length - 1] / initialCash - 1) * 100, 1e-9)).toBe(true);
      compared++;
      totalTrades += ref.trades.length;
    }
    // The comparison must have exercised real trading, not 300 empty runs.
    expect(compared).toBeGreaterThan(250);
    expect(totalTrades).toBeGreaterThan(3000);
  });

  it('agrees on a 150 000-bar series, across the engine\'s internal chunk boundaries', async () => {
    const next = rng(99);
    const bars = randomSeries(next, 150_000);
    for (const [fast, slow, allowShort] of [[3, 17, true], [1, 40, false]] as const) {
      const ref = referenceSmaCross(bars, fast, slow, allowShort, 50_000, 0.0005, 2, 'all-in', true);
      const got = await runWithTrace(bars, { strategyId: 'sma-cross', params: { fast, slow, allowShort }, initialCash: 50_000, commission: 0.0005, slippageBps: 2, fractional: true });
      expect(got.trades.length).toBe(ref.trades.length);
      expect(ref.trades.length).toBeGreaterThan(1000);
      for (let i = 0; i < ref.trades.length; i++) {
        if (!closeTo(got.trades[i].pnl, ref.trades[i].pnl)) expect.fail(`trade ${i}: pnl ${got.trades[i].pnl} vs ${ref.trades[i].pnl}`);
      }
      for (let t = 0; t < bars.length; t++) {
        if (!closeTo(got.equity[t], ref.equity[t])) expect.fail(`bar ${t}: equity ${got.equity[t]} vs ${ref.equity[t]}`);
      }
    }
  });
});
