import { barsFromArrays } from '../../engine/bars.ts';
import type { EquityTracker } from '../../engine/equity-tracker.ts';
import type { BarSeries } from '../../engine/types.ts';
import { missingSharedData, SHARED_DATA_DIR } from '../support/shared-data.ts';

export const DAY = 86_400_000;
export const T0 = Date.UTC(2020, 0, 6);

/** Daily bars from closes and opens; high/low envelope both so the series is valid. */
export function daily(close: number[], open: number[] = close): BarSeries {
  return barsFromArrays({
    time: close.map((_, i) => T0 + i * DAY),
    open,
    high: close.map((c, i) => Math.max(c, open[i])),
    low: close.map((c, i) => Math.min(c, open[i])),
    close,
  });
}

export const iso = (i: number): string => new Date(T0 + i * DAY).toISOString();

/**
 * Real market data lives next to the repo, never inside it. Tests that need it go through
 * test/support/shared-data.ts (describeWithSharedData / itWithSharedData), which fails under CI=true when it is absent.
 */
export const DATA_DIR = `${SHARED_DATA_DIR}/`;
export const hasData = (file: string): boolean => missingSharedData([file]).length === 0;

/** Seeded PRNG (mulberry32) so randomized tests are reproducible. */
export function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function closeTo(actual: number, expected: number, rel = 1e-9): boolean {
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Number.isNaN(actual) && Number.isNaN(expected);
  return Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}

/** Everything an EquityTracker computed, as plain data, so two trackers (or a tracker and a reference) compare with toEqual. */
export function trackerSummary(t: EquityTracker) {
  return {
    days: t.days,
    dayCloses: Array.from(t.dayCloses.subarray(0, t.days)),
    weekendBars: t.weekendBars,
    peak: t.peak,
    maxDrawdown: t.maxDrawdown,
    drawdownSum: t.drawdownSum,
    drawdownCount: t.drawdownCount,
    maxDurationMs: t.maxDurationMs,
    curve: t.curvePoints(),
  };
}
