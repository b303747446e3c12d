import { describe, expect, it } from 'vitest';
import { barsFromArrays } from '../../engine/bars.ts';
import { runBacktest } from '../../engine/index.ts';
import type { BacktestSpec, Trade } from '../../engine/types.ts';
import { DAY, T0, daily } from './helpers.ts';

// The trading rules of the five non-SMA strategies, hand-checked on small series: each indicator value in the
// comments was computed by hand from the documented definition, each trade from the execution rules (signal on a
// close, fill at the next open, all-in whole units, reversal = close then open, a position still open at the end
// closed at the last close, a signal on the last bar ignored). No signal here is decided by an exact tie: every
// comparison that fires (or does not) clears its threshold by a visible margin, so exact-arithmetic changes to the
// indicators cannot move a trade.

const spec = (strategyId: string, params: BacktestSpec['params']): BacktestSpec => ({ strategyId, params, initialCash: 1000, commission: 0 });

/** A trade as [side, size, entry bar, exit bar, entry price, exit price]; pnl is checked separately. */
type Row = [Trade['side'], number, number, number, number, number];
const bar = (time: string): number => (Date.parse(time) - T0) / DAY;
const rows = (trades: Trade[]): Row[] => trades.map((t) => [t.side, t.size, bar(t.entryTime), bar(t.exitTime), t.entryPrice, t.exitPrice]);

async function expectTrades(bars: ReturnType<typeof daily>, s: BacktestSpec, expected: Row[], pnls: number[], equityFinal: number): Promise<void> {
  const r = await runBacktest(bars, s);
  expect(rows(r.trades)).toEqual(expected);
  expect(r.trades.map((t) => t.pnl)).toEqual(pnls.map((p) => expect.closeTo(p, 9)));
  expect(r.stats.equityFinal).toBeCloseTo(equityFinal, 9);
}

describe('ema-cross (fast 1 = the close, slow 3: alpha 1/2, seeded with the mean of the first 3 closes)', () => {
  // close - EMA3 = [-, -, -1, -1, -1, +2, +1.5, -1.25, -1.125, +0.9375]
  //   EMA3 = 10 (seed at bar 2), 9, 8, 10, 11.5, 10.25, 9.125, 10.0625
  // up-cross on bar 5, down-cross on bar 7, up-cross on the last bar (no next open: ignored).
  const bars = daily([10, 11, 9, 8, 7, 12, 13, 9, 8, 11], [10, 10.5, 9.5, 8.5, 7.5, 11, 12, 10, 8.5, 10]);

  it('long-only: buys on the up-cross, sells on the down-cross, ignores the cross on the last bar', async () => {
    // buy floor(1000 / 12) = 83 at open[6] = 12; sell at open[8] = 8.5: 83 * -3.5 = -290.5
    await expectTrades(bars, spec('ema-cross', { fast: 1, slow: 3 }), [['long', 83, 6, 8, 12, 8.5]], [-290.5], 709.5);
  });

  it('allowShort: the down-cross reverses into a short held to the end', async () => {
    // after the sale, cash 709.5: short floor(709.5 / 8.5) = 83 at 8.5, covered at the last close 11: 83 * -2.5 = -207.5
    await expectTrades(bars, spec('ema-cross', { fast: 1, slow: 3, allowShort: true }), [
      ['long', 83, 6, 8, 12, 8.5],
      ['short', 83, 8, 9, 8.5, 11],
    ], [-290.5, -207.5], 502);
  });
});

describe('rsi-reversion (period 2, Wilder smoothing seeded with the mean of the first 2 changes; levels 30 / 70)', () => {
  // changes +2 -1 -2 -1 +2 +3 -1 +2 -3 -1
  // RSI = [-, -, 66.67, 28.57, 18.18, 66.67, 88.00, 61.68, 82.55, 31.34, 22.17]
  //   e.g. bar 3: avg gain (1 + 0) / 2 = 0.5, avg loss (0.5 + 2) / 2 = 1.25, RS 0.4, RSI 100 - 100 / 1.4 = 28.57
  // below 30 on bars 3, 4 (long) and 10 (last bar); above 70 on bars 6 and 8.
  const bars = daily([10, 12, 11, 9, 8, 10, 13, 12, 14, 11, 10], [10, 11.5, 11.5, 9.5, 8.5, 9, 12, 12.5, 13, 13.5, 10.5]);

  it('long-only: long below 30, closed above 70; a level held again is a no-op, above 70 while flat does nothing', async () => {
    // buy floor(1000 / 8.5) = 117 at open[4]; sell at open[7] = 12.5: 117 * 4 = 468
    await expectTrades(bars, spec('rsi-reversion', { period: 2, lower: 30, upper: 70 }), [['long', 117, 4, 7, 8.5, 12.5]], [468], 1468);
  });

  it('allowShort: above 70 reverses into a short; the second overbought bar is a no-op while short', async () => {
    // at open[7]: sell 117 at 12.5 (cash 1468), short floor(1468 / 12.5) = 117 at 12.5, covered at the last close 10
    await expectTrades(bars, spec('rsi-reversion', { period: 2, lower: 30, upper: 70, allowShort: true }), [
      ['long', 117, 4, 7, 8.5, 12.5],
      ['short', 117, 7, 10, 12.5, 10],
    ], [468, 292.5], 1760.5);
  });
});

describe('bollinger-reversion (period 3, k 1: middle = SMA3, bands at middle ± 1 population standard deviation)', () => {
  // bar:    2        3        4        5        6        7        8        9        10
  // close:  12       8        9        10.5     14       12       11       10       12
  // middle: 11.000   10.333   9.667    9.167    11.167   12.167   12.333   11.000   11.000
  // upper:  11.816   12.033   11.366   10.194   13.262   13.600   13.581   11.816   11.816
  // lower:  10.184   8.634    7.967    8.139    9.072    10.733   11.086   10.184   10.184
  // code:   >upper   <lower   <middle  >upper   >upper   <middle  <lower   <lower   >upper (last bar)
  // Long-only, >upper is only >middle, so an exit of a long (EXIT_LONG); <middle is EXIT_SHORT.
  const bars = daily([10, 11, 12, 8, 9, 10.5, 14, 12, 11, 10, 12], [10, 10.5, 11.5, 11, 8.5, 9.5, 11, 13, 11.5, 10.5, 11]);

  it('long-only: long below the lower band, closed above the middle band; exit codes that match no position do nothing', async () => {
    // bar 2 EXIT_LONG while flat: nothing. bar 3 LONG: buy floor(1000 / 8.5) = 117 at open[4].
    // bar 4 EXIT_SHORT while long: nothing. bar 5 above the middle: sell at open[6] = 11 (+292.5).
    // bars 6, 7 exits while flat: nothing. bar 8 LONG: buy floor(1292.5 / 10.5) = 123 at open[9]; held to the last close 12.
    await expectTrades(bars, spec('bollinger-reversion', { period: 3, k: 1 }), [
      ['long', 117, 4, 6, 8.5, 11],
      ['long', 123, 9, 10, 10.5, 12],
    ], [292.5, 184.5], 1477);
  });

  it('allowShort: short above the upper band, covered below the middle band (EXIT_SHORT), and reversals both ways', async () => {
    // bar 2 SHORT: floor(1000 / 11) = 90 at open[3] = 11. bar 3 LONG: cover at 8.5 (+225), buy floor(1225 / 8.5) = 144.
    // bar 4 EXIT_SHORT while long: nothing. bar 5 SHORT: sell 144 at open[6] = 11 (+360), short floor(1585 / 11) = 144.
    // bar 6 SHORT again: nothing. bar 7 below the middle: cover at open[8] = 11.5 (-72), flat.
    // bar 8 LONG: buy floor(1513 / 10.5) = 144 at open[9]; the last bar's SHORT is ignored; closed at 12 (+216).
    await expectTrades(bars, spec('bollinger-reversion', { period: 3, k: 1, allowShort: true }), [
      ['short', 90, 3, 4, 11, 8.5],
      ['long', 144, 4, 6, 8.5, 11],
      ['short', 144, 6, 8, 11, 11.5],
      ['long', 144, 9, 10, 10.5, 12],
    ], [225, 360, -72, 216], 1729);
  });
});

describe('donchian-breakout (period 2: the highest high and lowest low of the 2 bars before the signal bar)', () => {
  // high = max(open, close) + 0.25, low = min(open, close) - 0.25
  // bar:    2       3       4       5       6       7       8       9
  // close:  10.5    12.5    12      11      9       9.5     12      13
  // upper:  11.25   11.25   12.75   12.85   12.85   12.35   11.45   12.25   (highest high of bars t-2, t-1)
  // lower:  9.75    10.25   10.25   10.55   10.75   8.75    8.75    8.95    (lowest low of bars t-2, t-1)
  // breakout up on bars 3 and 8 (and the last bar), down on bar 6.
  const close = [10, 11, 10.5, 12.5, 12, 11, 9, 9.5, 12, 13];
  const open = [10, 10.5, 11, 10.8, 12.6, 12.1, 11.2, 9.2, 9.6, 12.5];
  const bars = barsFromArrays({
    time: close.map((_, i) => T0 + i * DAY),
    open,
    high: close.map((c, i) => Math.max(c, open[i]) + 0.25),
    low: close.map((c, i) => Math.min(c, open[i]) - 0.25),
    close,
  });

  it('long-only: long on a close above the channel, closed on a close below it', async () => {
    // buy floor(1000 / 12.6) = 79 at open[4]; sell at open[7] = 9.2 (-268.6); buy floor(731.4 / 12.5) = 58 at open[9],
    // closed at the last close 13 (+29).
    await expectTrades(bars, spec('donchian-breakout', { period: 2 }), [
      ['long', 79, 4, 7, 12.6, 9.2],
      ['long', 58, 9, 9, 12.5, 13],
    ], [-268.6, 29], 760.4);
  });

  it('allowShort: the downside breakout reverses into a short, the next upside one reverses back', async () => {
    // at open[7]: sell 79 (cash 731.4), short floor(731.4 / 9.2) = 79 at 9.2; at open[9] = 12.5 cover (-260.7),
    // buy floor(470.7 / 12.5) = 37; closed at 13 (+18.5).
    await expectTrades(bars, spec('donchian-breakout', { period: 2, allowShort: true }), [
      ['long', 79, 4, 7, 12.6, 9.2],
      ['short', 79, 7, 9, 9.2, 12.5],
      ['long', 37, 9, 9, 12.5, 13],
    ], [-268.6, -260.7, 18.5], 489.2);
  });
});

describe('macd-cross (fast 1, slow 2, signal 2: MACD = close - EMA2, signal = EMA2 of MACD seeded at its first 2 values)', () => {
  // MACD - signal = [-, -, +0.333, -0.148, -0.247, -0.037, +0.447, +0.191, -0.256, -0.414, -0.025]
  //   EMA2 of the close (alpha 2/3): 10 (seed at bar 1), 11.333, 11.111, 9.704, 8.568, 10.189, 12.063, 12.021, ...
  // down-cross on bar 3, up-cross on bar 6, down-cross on bar 8.
  const bars = daily([10, 10, 12, 11, 9, 8, 11, 13, 12, 9, 8], [10, 10, 11.5, 11.5, 10, 8.5, 9, 12, 12.5, 11, 8.5]);

  it('long-only: a down-cross while flat does nothing; long on the up-cross, closed on the next down-cross', async () => {
    // buy floor(1000 / 12) = 83 at open[7]; sell at open[9] = 11 (-83)
    await expectTrades(bars, spec('macd-cross', { fast: 1, slow: 2, signal: 2 }), [['long', 83, 7, 9, 12, 11]], [-83], 917);
  });

  it('allowShort: always in the market after the first cross, reversing on each', async () => {
    // short floor(1000 / 10) = 100 at open[4]; at open[7] = 12 cover (-200), buy floor(800 / 12) = 66;
    // at open[9] = 11 sell (-66), short floor(734 / 11) = 66, covered at the last close 8 (+198)
    await expectTrades(bars, spec('macd-cross', { fast: 1, slow: 2, signal: 2, allowShort: true }), [
      ['short', 100, 4, 7, 10, 12],
      ['long', 66, 7, 9, 12, 11],
      ['short', 66, 9, 10, 11, 8],
    ], [-200, -66, 198], 932);
  });
});
