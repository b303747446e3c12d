/**
 * The C reference's loop (bench/reference/sma-cross.c, `run`) transcribed line by line into TypeScript: the same
 * statements, the same order, the same arithmetic, so it makes the same trades and ends on the same doubles. `npm run
 * bench` times it beside the C binary and the engine on the same bars. Its ratio to C is how fast V8 runs this very
 * loop, which bounds what rearranging the engine's own loops can be expected to reach (docs/performance.md,
 * "Engine"). Not used by the engine.
 */
export interface LoopResult {
  trades: number;
  equityFinal: number;
  peak: number;
  maxDrawdown: number;
}

export function smaCrossLoop(open: Float64Array, close: Float64Array, n: number, fast: number, slow: number, scale: number, comm: number, cash0: number): LoopResult {
  const TO_INTEGER = 1.5 * 4503599627370496.0; // 1.5 * 2^52
  let cash = cash0;
  let units = 0;
  let sa = 0;
  let sb = 0;
  let d0 = Number.NaN;
  let peak = Number.NEGATIVE_INFINITY;
  let maxdd = 0;
  let side = 0;
  let pending = 0; // 0 none, 1 buy, -1 sell at the next open
  let trades = 0;
  for (let t = 0; t < n; t++) {
    if (pending !== 0) {
      const fill = open[t];
      if (pending === 1 && side === 0) {
        const u = cash / (fill * (1 + comm));
        if (u > 0) {
          const value = u * fill;
          cash -= value + value * comm;
          units = u;
          side = 1;
        }
      } else if (pending === -1 && side === 1) {
        const value = units * fill;
        cash += value - value * comm;
        units = 0;
        side = 0;
        trades++;
      }
      pending = 0;
    }
    const c = close[t] * scale + TO_INTEGER - TO_INTEGER;
    sa += t >= fast ? c - (close[t - fast] * scale + TO_INTEGER - TO_INTEGER) : c;
    sb += t >= slow ? c - (close[t - slow] * scale + TO_INTEGER - TO_INTEGER) : c;
    const d1 = t >= slow - 1 ? sa * slow - sb * fast : Number.NaN;
    if (d0 * d1 < 0 && t + 1 < n) pending = d1 > 0 ? 1 : -1;
    d0 = d1;
    if (t === n - 1 && side === 1) {
      const value = units * close[t];
      cash += value - value * comm;
      units = 0;
      side = 0;
      trades++;
    }
    const e = cash + units * close[t];
    if (e > peak) peak = e;
    else if (1 - e / peak > maxdd) maxdd = 1 - e / peak;
  }
  return { trades, equityFinal: cash, peak, maxDrawdown: maxdd };
}
