/**
 * Trades recorded as columns in growable typed arrays: the simulation loop appends without allocating objects, and
 * a sweep reuses one log across combinations (`clear`). Objects are built once, for the result that is returned.
 */
export class TradeLog {
  count = 0;
  side = new Int8Array(0);
  size = new Float64Array(0);
  /**
   * Fill bars. Fill times are looked up from them only for the trades built as objects: reading `time` at every fill
   * was a second cache miss per fill (the opens being the first), about 4 ms of a 357 k-fill run.
   */
  entryIndex = new Int32Array(0);
  exitIndex = new Int32Array(0);
  entryPrice = new Float64Array(0);
  exitPrice = new Float64Array(0);
  pnl = new Float64Array(0);

  constructor(capacity = 256) {
    this.resize(capacity);
  }

  clear(): void {
    this.count = 0;
  }

  private resize(capacity: number): void {
    const grow = <T extends Int8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.side = grow(this.side, (n) => new Int8Array(n));
    this.size = grow(this.size, (n) => new Float64Array(n));
    this.entryIndex = grow(this.entryIndex, (n) => new Int32Array(n));
    this.exitIndex = grow(this.exitIndex, (n) => new Int32Array(n));
    this.entryPrice = grow(this.entryPrice, (n) => new Float64Array(n));
    this.exitPrice = grow(this.exitPrice, (n) => new Float64Array(n));
    this.pnl = grow(this.pnl, (n) => new Float64Array(n));
  }

  push(
    side: number,
    size: number,
    entryIndex: number,
    exitIndex: number,
    entryPrice: number,
    exitPrice: number,
    pnl: number,
  ): void {
    if (this.count === this.side.length) this.resize(this.side.length * 2);
    const i = this.count++;
    this.side[i] = side;
    this.size[i] = size;
    this.entryIndex[i] = entryIndex;
    this.exitIndex[i] = exitIndex;
    this.entryPrice[i] = entryPrice;
    this.exitPrice[i] = exitPrice;
    this.pnl[i] = pnl;
  }

  /** Trade return in percent, before commission: long exit/entry - 1, short 1 - exit/entry. */
  returnPct(i: number): number {
    const r = this.exitPrice[i] / this.entryPrice[i];
    return (this.side[i] === 1 ? r - 1 : 1 - r) * 100;
  }
}

/** Logs kept for the next run, and the largest capacity worth keeping (2^18 trades: about 16 MB of columns). */
const spare: TradeLog[] = [];
const SPARE_LOGS = 2;
const SPARE_CAPACITY = 1 << 18;

/**
 * A cleared log, reused from a finished run when there is one. A run with 179 k trades grows its columns ten times
 * (about 30 MB of new typed arrays): reusing them saved most of its garbage collection, as the buffer pool does for
 * the per-bar columns (engine/buffer-pool.ts).
 */
export function takeTradeLog(): TradeLog {
  const log = spare.pop();
  if (log === undefined) return new TradeLog();
  log.clear();
  return log;
}

/** Gives a log back once nothing reads it any more (its run's trades are already built as objects). */
export function releaseTradeLog(log: TradeLog): void {
  if (spare.length < SPARE_LOGS && log.side.length <= SPARE_CAPACITY && !spare.includes(log)) spare.push(log);
}
