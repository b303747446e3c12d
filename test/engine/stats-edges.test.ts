import { describe, expect, it } from 'vitest';
import { runWithTrace } from '../../engine/run.ts';
import { daily } from './helpers.ts';

/**
 * Stats decisions docs/engine.md states and DESIGN.md leaves open. sma-cross(1, 2) with shorts: the close crossing
 * its 2-bar average is the close changing direction, so [10, 11, 12, 11, ...] shorts at the open after the first
 * down close (bar 4, at 10): 1 000 units all-in from 10 000.
 */
const SHORT_AT_10 = { strategyId: 'sma-cross', params: { fast: 1, slow: 2, allowShort: true }, initialCash: 10_000, commission: 0 };

describe('risk measures once equity reaches zero or below', () => {
  it.each([
    ['equity exactly 0 and staying there', [10, 11, 12, 11, 10, 20, 20, 20]],
    ['equity below 0', [10, 11, 12, 11, 10, 25, 25, 25]],
    ['equity 0 on the last day only', [10, 11, 12, 11, 10, 20]],
  ])('volatility, Sharpe, Sortino and Calmar are NaN (null in JSON): %s', async (_label, closes) => {
    // Act
    const r = await runWithTrace(daily(closes), SHORT_AT_10);
    // Assess: the scenario really ruins the account...
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]).toMatchObject({ side: 'short', size: 1000, entryPrice: 10 });
    expect(Math.min(...r.equity)).toBeLessThanOrEqual(0);
    expect(r.stats.maxDrawdownPct).toBeLessThanOrEqual(-100);
    // ...and the return-based risk measures are undefined, not finite nonsense.
    const { volatilityAnnPct, sharpe, sortino, calmar } = r.stats;
    expect({ volatilityAnnPct, sharpe, sortino, calmar }).toEqual({ volatilityAnnPct: NaN, sharpe: NaN, sortino: NaN, calmar: NaN });
    expect(JSON.parse(JSON.stringify(r.stats))).toMatchObject({ volatilityAnnPct: null, sharpe: null, sortino: null, calmar: null });
  });

  it('are finite for the same short when the price only rises part of the way', async () => {
    const r = await runWithTrace(daily([10, 11, 12, 11, 10, 15, 14, 15]), SHORT_AT_10);
    expect(Math.min(...r.equity)).toBeGreaterThan(0);
    expect(Number.isFinite(r.stats.volatilityAnnPct) && Number.isFinite(r.stats.sharpe) && Number.isFinite(r.stats.calmar)).toBe(true);
  });
});

describe('exposure', () => {
  it('counts the last bar as exposed when a position is open at its close (closed there by the end of data)', async () => {
    // buy-and-hold: filled at bar 1's open, held at the closes of bars 1..4, closed at the last close.
    const r = await runWithTrace(daily([10, 11, 12, 13, 14]), { strategyId: 'buy-and-hold', params: {}, initialCash: 1000, commission: 0 });
    expect(r.trades).toHaveLength(1);
    expect(r.stats.exposurePct).toBe((4 / 5) * 100);
  });
});
