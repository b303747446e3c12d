import { describe, expect, it } from 'vitest';
import { syntheticSeries } from '../../engine/index.ts';
import { EquityTracker } from '../../engine/equity-tracker.ts';
import { rng, trackerSummary } from './helpers.ts';

// A flat run over finite closes is marked from its first bar only (its equity is `cash` at every bar). The tracker
// told the closes are finite must agree, bit for bit, with the one that loops over every bar, on everything it reports.
type Run = { len: number; cash: number; units: number };

function track(time: Float64Array, close: Float64Array, n: number, runs: Run[], finite: boolean, withTime = time) {
  const t = new EquityTracker(withTime, close, n, true, undefined, finite);
  let from = 0;
  for (const r of runs) {
    const to = Math.min(n, from + r.len);
    if (to > from) t.mark(from, to, r.cash, r.units);
    from = to;
  }
  if (from < n) t.mark(from, n, 1, 0);
  t.finish();
  return trackerSummary(t);
}

/** Runs that hit every case: flat at a new peak, level with the peak, below it, at 0 cash and -0, long and short. */
function randomRuns(seed: number, close: Float64Array): Run[] {
  const next = rng(seed);
  const runs: Run[] = [];
  let cash = 1000;
  for (let at = 0; at < close.length; ) {
    const len = 1 + Math.floor(next() * (next() < 0.2 ? 400 : 30));
    const pick = next();
    if (pick < 0.35) runs.push({ len, cash: 0, units: cash / close[at] });
    else if (pick < 0.45) runs.push({ len, cash: 2 * cash, units: -cash / close[at] });
    else if (pick < 0.5) runs.push({ len, cash: next() < 0.5 ? 0 : -0, units: 0 });
    else {
      // Flat: up to a new peak, level with what came before, or below it.
      const move = next();
      cash = move < 0.3 ? cash * (1 + next() * 0.1) : move < 0.6 ? cash : cash * (1 - next() * 0.1);
      runs.push({ len, cash, units: next() < 0.5 ? 0 : -0 });
    }
    at += len;
  }
  return runs;
}

describe('equity tracker: flat runs', () => {
  const minutes = syntheticSeries('SYNTH-FLAT-1M', '1m', Date.UTC(2021, 0, 4), Date.UTC(2021, 1, 4));
  const days = syntheticSeries('SYNTH-FLAT-1D', '1d', Date.UTC(2010, 0, 1), Date.UTC(2016, 0, 1));

  it('marks a flat run from its first bar exactly as bar by bar (intraday and daily bars)', () => {
    for (const bars of [minutes, days]) {
      for (let seed = 1; seed <= 8; seed++) {
        const runs = randomRuns(seed, bars.close);
        expect(runs.some((r) => r.units === 0 && r.cash !== 0 && r.len > 2)).toBe(true);
        const fast = track(bars.time, bars.close, bars.length, runs, true);
        const slow = track(bars.time, bars.close, bars.length, runs, false);
        expect(fast).toEqual(slow);
        expect(Object.is(fast.peak, slow.peak)).toBe(true);
        // The general day-end search (time one element longer) agrees too.
        const padded = new Float64Array(bars.length + 1);
        padded.set(bars.time);
        padded[bars.length] = bars.time[bars.length - 1] + 86_400_000;
        expect(track(bars.time, bars.close, bars.length, runs, true, padded)).toEqual(track(bars.time, bars.close, bars.length, runs, false, padded));
      }
    }
  });

  it('ends a drawdown on a flat run level with the old peak and dates the peak at the run\'s last bar', () => {
    const n = 40;
    const time = new Float64Array(n).map((_, i) => Date.UTC(2020, 0, 1) + i * 60_000);
    const close = new Float64Array(n).map((_, i) => 100 + (i % 7));
    // Peak 1000, a dip while long, back to exactly 1000 flat for 10 bars, then a dip flat.
    const runs: Run[] = [
      { len: 5, cash: 1000, units: 0 },
      { len: 5, cash: 0, units: 9 },
      { len: 10, cash: 1000, units: 0 },
      { len: 20, cash: 900, units: 0 },
    ];
    const fast = track(time, close, n, runs, true);
    expect(fast).toEqual(track(time, close, n, runs, false));
    // The second drawdown runs from the last bar at 1000 (bar 19) to the end (bar 39).
    expect(fast.maxDurationMs).toBe(20 * 60_000);
    expect(fast.drawdownCount).toBe(2);
  });
});
