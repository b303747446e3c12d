import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, syntheticSeries } from '../../engine/index.ts';
import { EquityTracker } from '../../engine/equity-tracker.ts';

// Daily data takes the tracker's fast path (every bar is its own UTC day: equity written straight into dayCloses).
// A time column one element longer than n makes the tracker take its general path (day ends found bar by bar) on the
// same bars, so the two must agree on everything the stats read.
function track(time: Float64Array, close: Float64Array, n: number) {
  const t = new EquityTracker(time, close, n, true);
  // Alternate positions over runs of uneven length, as an executor marks them.
  let cash = 10_000;
  let units = 0;
  for (let from = 0, k = 0; from < n; k++) {
    const to = Math.min(n, from + 1 + ((k * 37) % 23));
    t.mark(from, to, cash, units);
    if (units === 0) {
      units = cash / close[to - 1];
      cash = 0;
    } else {
      cash = units * close[to - 1];
      units = 0;
    }
    from = to;
  }
  t.finish();
  return { days: t.days, dayCloses: Array.from(t.dayCloses.subarray(0, t.days)), weekendBars: t.weekendBars, peak: t.peak, maxDrawdown: t.maxDrawdown, drawdownSum: t.drawdownSum, drawdownCount: t.drawdownCount, maxDurationMs: t.maxDurationMs, curve: t.curvePoints() };
}

function padded(time: Float64Array): Float64Array {
  const p = new Float64Array(time.length + 1);
  p.set(time);
  p[time.length] = time[time.length - 1] + 86_400_000;
  return p;
}

describe('equity tracker on daily bars', () => {
  const orcl = parseCsv(readFileSync(join(import.meta.dirname, '../../examples/data/ORCL-1d.csv'), 'utf8'));
  const weekdays = syntheticSeries('SYNTH-DAYS', '1d', Date.UTC(2015, 0, 1), Date.UTC(2020, 0, 1));
  // Every calendar day, weekends included, so the weekend count matters.
  const everyDay = Float64Array.from({ length: 400 }, (_, i) => Date.UTC(2020, 0, 1) + i * 86_400_000);

  it.each([
    { name: 'ORCL daily', time: orcl.time, close: orcl.close },
    { name: 'synthetic weekdays', time: weekdays.time, close: weekdays.close },
    { name: 'every calendar day', time: everyDay, close: Float64Array.from({ length: 400 }, (_, i) => 100 + 10 * Math.sin(i / 9) + (i % 7)) },
  ])('agrees with the general path: $name', ({ time, close }) => {
    const n = time.length;
    const fast = track(time, close, n);
    const general = track(padded(time), close, n);

    expect(fast).toEqual(general);
    expect(fast.days).toBe(n);
  });

  it('keeps the general path for intraday bars', () => {
    const minutes = syntheticSeries('SYNTH-DAYS', '1m', Date.UTC(2021, 0, 4), Date.UTC(2021, 0, 9));
    const r = track(minutes.time, minutes.close, minutes.length);
    expect(r.days).toBeLessThan(10);
  });
});
