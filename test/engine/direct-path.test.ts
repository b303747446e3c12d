import { describe, expect, it } from 'vitest';
import { barsFromArrays } from '../../engine/bars.ts';
import { runWithTrace } from '../../engine/run.ts';
import { CHUNK } from '../../engine/scheduler.ts';
import type { BacktestSpec, BarSeries, Sizing } from '../../engine/types.ts';
import { rng } from './helpers.ts';

/**
 * A single sma-cross run takes a one-pass kernel (running sums, orders straight to the executor); a sweep takes the
 * cached SMA arrays, the signal array and the executor's own loop. A sweep row and the single run of the same
 * parameters must report the same numbers, so the two paths are held to bit-for-bit equality here, on series that
 * span several of the engine's chunks (where the kernel re-sums its windows and carries a pending order over).
 */
/**
 * Prices on a cent grid in a narrow band: the true averages tie often, so both paths must decide each tie by the same
 * exact rule (integer tick sums cross-multiplied, docs/engine.md "Numerics"); a walk of arbitrary doubles would
 * almost never tie and hide a difference.
 */
function tickWalk(next: () => number, n: number): BarSeries {
  const time: number[] = [], open: number[] = [], high: number[] = [], low: number[] = [], close: number[] = [];
  let ticks = 1000;
  for (let i = 0; i < n; i++) {
    const o = ticks / 100 + 10.07;
    ticks = Math.min(1010, Math.max(990, ticks + Math.floor(next() * 3) - 1));
    const c = ticks / 100 + 10.07;
    time.push(Date.UTC(2020, 0, 1) + i * 60_000);
    open.push(o);
    close.push(c);
    high.push(Math.max(o, c) * 1.001);
    low.push(Math.min(o, c) * 0.999);
  }
  return barsFromArrays({ time, open, high, low, close });
}

describe('sma-cross one-pass kernel vs the indicator-array path', () => {
  it('gives identical trades, per-bar equity, cash, position and stats across chunk boundaries', async () => {
    const next = rng(777);
    let fillsAtChunkStart = 0;
    const cases: [number, number][] = [[1, 2], [1, 9], [2, 3], [3, 11], [10, 30], [7, 200], [40, CHUNK + 500]];
    for (const [fast, slow] of cases) {
      for (const allowShort of [false, true]) {
        // Prepare: lengths that end on, just after and inside a chunk.
        const n = [3 * CHUNK, 3 * CHUNK + 1, 2 * CHUNK + 777][Math.floor(next() * 3)] + slow;
        const bars = tickWalk(next, n);
        const sizings: Sizing[] = ['all-in', { units: 3 }, { fraction: 0.5 }];
        const spec: BacktestSpec = {
          strategyId: 'sma-cross',
          params: { fast, slow, allowShort },
          initialCash: 10_000,
          commission: [0, 0.001][Math.floor(next() * 2)],
          slippageBps: [0, 3][Math.floor(next() * 2)],
          sizing: sizings[Math.floor(next() * 3)],
          fractional: next() < 0.5,
        };
        // Act
        const direct = await runWithTrace(bars, spec, 'direct');
        const arrays = await runWithTrace(bars, spec, 'arrays');
        // Assess
        const ctx = JSON.stringify({ fast, slow, allowShort, n });
        expect(direct.trades.length, ctx).toBeGreaterThan(0);
        expect(direct.trades, ctx).toStrictEqual(arrays.trades);
        expect(direct.stats, ctx).toStrictEqual(arrays.stats);
        expect(direct.equityCurve, ctx).toStrictEqual(arrays.equityCurve);
        for (const key of ['equity', 'cash', 'position'] as const) {
          const a = direct[key];
          const b = arrays[key];
          for (let t = 0; t < n; t++) {
            if (!Object.is(a[t], b[t])) expect.fail(`${ctx} ${key}[${t}]: ${a[t]} vs ${b[t]}`);
          }
        }
        const chunkStarts = new Set([1, 2, 3].filter((k) => k * CHUNK < n).map((k) => new Date(bars.time[k * CHUNK]).toISOString()));
        fillsAtChunkStart += direct.trades.filter((tr) => chunkStarts.has(tr.entryTime) || chunkStarts.has(tr.exitTime)).length;
      }
    }
    // A cross on a chunk's last bar fills at the next chunk's first open: that hand-over must have been exercised.
    expect(fillsAtChunkStart).toBeGreaterThan(0);
  });
});
