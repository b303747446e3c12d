/**
 * A plain rational-arithmetic reference for the strategies whose signals the engine decides exactly on decimal data
 * (sma-cross and bollinger-reversion). Prices are integer tick counts as BigInt, so every average, variance and band
 * comparison below is exact; nothing is shared with the engine's code. Slow and obvious on purpose.
 */

/** Decimal strings ("12.61") to BigInt tick counts at `decimals` places, by string manipulation (no doubles). */
export function decimalTicks(texts: string[], decimals: number): bigint[] {
  return texts.map((text) => {
    const t = text.trim();
    const negative = t.startsWith('-');
    const [int, frac = ''] = (negative ? t.slice(1) : t).split('.');
    if (frac.length > decimals) throw new Error(`${text} has more than ${decimals} decimals`);
    const v = BigInt(int + frac.padEnd(decimals, '0'));
    return negative ? -v : v;
  });
}

/** The most decimals written in any of the strings. */
export function writtenDecimals(texts: string[]): number {
  return Math.max(0, ...texts.map((t) => (t.includes('.') ? t.trim().split('.')[1].length : 0)));
}

/** Signal targets, as DESIGN.md and docs/engine.md define them. */
type Target = 'long' | 'short' | 'flat' | 'exitLong' | 'exitShort' | null;

export interface RefTrade {
  side: 'long' | 'short';
  entry: number;
  exit: number;
}

/**
 * Orders from signals on closes, filled at the next open; a position still open at the end is closed on the last
 * bar. Sizing is not modelled: callers give the engine a fixed size that is always affordable.
 */
function trade(signals: Target[]): RefTrade[] {
  const n = signals.length;
  const trades: RefTrade[] = [];
  let side: 'long' | 'short' | null = null;
  let entry = -1;
  const close = (at: number) => {
    if (side !== null) trades.push({ side, entry, exit: at });
    side = null;
  };
  for (let t = 0; t < n - 1; t++) {
    const s = signals[t];
    const at = t + 1;
    if (s === 'long' && side !== 'long') {
      close(at);
      side = 'long';
      entry = at;
    } else if (s === 'short' && side !== 'short') {
      close(at);
      side = 'short';
      entry = at;
    } else if (s === 'flat' || (s === 'exitLong' && side === 'long') || (s === 'exitShort' && side === 'short')) {
      close(at);
    }
  }
  close(n - 1);
  return trades;
}

const sign = (x: bigint): number => (x > 0n ? 1 : x < 0n ? -1 : 0);

/** sma-cross: strict crosses of SMA(fast) and SMA(slow), compared as sumFast * slow against sumSlow * fast. */
export function refSmaCross(ticks: bigint[], fast: number, slow: number, allowShort: boolean): RefTrade[] {
  const n = ticks.length;
  const sum = (p: number, t: number): bigint => {
    let s = 0n;
    for (let j = t - p + 1; j <= t; j++) s += ticks[j];
    return s;
  };
  const diff: (number | null)[] = ticks.map((_, t) => (t < slow - 1 ? null : sign(sum(fast, t) * BigInt(slow) - sum(slow, t) * BigInt(fast))));
  const signals: Target[] = new Array(n).fill(null);
  for (let t = 1; t < n; t++) {
    const a = diff[t - 1];
    const b = diff[t];
    if (a === null || b === null) continue;
    if (a < 0 && b > 0) signals[t] = 'long';
    else if (a > 0 && b < 0) signals[t] = allowShort ? 'short' : 'flat';
  }
  return trade(signals);
}

/**
 * bollinger-reversion with k = kNum / kDen: close < lower → long; close > upper → short with allowShort, else exit a
 * long; close > middle → exit a long; close < middle → exit a short. With m = mean, v = population variance:
 * close < m − k·sd ⇔ m − close > 0 and (m − close)² > k²·v, all scaled by p² to integers.
 */
export function refBollinger(ticks: bigint[], period: number, kNum: bigint, kDen: bigint, allowShort: boolean): RefTrade[] {
  const n = ticks.length;
  const p = BigInt(period);
  const signals: Target[] = new Array(n).fill(null);
  for (let t = period - 1; t < n; t++) {
    let s = 0n;
    let q = 0n;
    for (let j = t - period + 1; j <= t; j++) {
      s += ticks[j];
      q += ticks[j] * ticks[j];
    }
    const m = s - p * ticks[t]; // p · (middle − close)
    const v = p * q - s * s; // p² · variance
    const beyond = kDen * kDen * m * m > kNum * kNum * v;
    if (m > 0n && beyond) signals[t] = 'long';
    else if (m < 0n && beyond) signals[t] = allowShort ? 'short' : 'exitLong';
    else if (m < 0n) signals[t] = 'exitLong';
    else if (m > 0n) signals[t] = 'exitShort';
  }
  return trade(signals);
}
