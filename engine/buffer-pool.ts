/**
 * Recycles the large per-run typed arrays (indicators, signals, equity). Fresh 80 MB arrays cost page faults, and
 * hundreds of megabytes of new external memory per run make V8 schedule full garbage collections; a worker that runs
 * backtest after backtest reuses the same few buffers instead. Buffers go back to the pool when a run ends; the pool
 * keeps at most POOL_BYTES and drops the rest to the garbage collector.
 */

export const POOL_BYTES = 512 * 1024 * 1024;

const floats = new Map<number, Float64Array[]>();
const bytes = new Map<number, Int8Array[]>();
let pooled = 0;

function take<T extends Float64Array | Int8Array>(pool: Map<number, T[]>, length: number, make: (n: number) => T): T {
  const list = pool.get(length);
  const hit = list?.pop();
  if (hit === undefined) return make(length);
  pooled -= hit.byteLength;
  return hit;
}

function give<T extends Float64Array | Int8Array>(pool: Map<number, T[]>, a: T): void {
  if (pooled + a.byteLength > POOL_BYTES) return;
  let list = pool.get(a.length);
  if (list === undefined) pool.set(a.length, (list = []));
  if (list.includes(a)) return;
  list.push(a);
  pooled += a.byteLength;
}

/** A Float64Array of `length` with arbitrary contents: callers must write every element before reading it. */
export function takeFloat64(length: number): Float64Array {
  return take(floats, length, (n) => new Float64Array(n));
}

export function takeInt8(length: number): Int8Array {
  return take(bytes, length, (n) => new Int8Array(n));
}

/** Returns whole-buffer arrays to the pool; views into other buffers (e.g. an input column) are ignored. */
export function release(arrays: Iterable<Float64Array | Int8Array>): void {
  for (const a of arrays) {
    if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) continue;
    if (a instanceof Float64Array) give(floats, a);
    else give(bytes, a);
  }
}
