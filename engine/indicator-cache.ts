import { release } from './buffer-pool.ts';
import type { IndicatorKernel } from './indicators.ts';
import type { BarSeries } from './types.ts';

/** Upper bound on cached indicator memory; oldest entries go first beyond it. */
export const INDICATOR_CACHE_BYTES = 768 * 1024 * 1024;

/**
 * Indicator arrays keyed by (indicator, parameters) for one series, so a sweep computes SMA(20) once however many
 * combinations use it. Bounded by bytes with oldest-first eviction, because a long grid over many periods of a big
 * series would otherwise hold gigabytes.
 */
export class IndicatorCache {
  private readonly bars: BarSeries;
  private readonly entries = new Map<string, Float64Array[]>();
  private bytes = 0;

  constructor(bars: BarSeries) {
    this.bars = bars;
  }

  get(key: string): Float64Array[] | undefined {
    return this.entries.get(key);
  }

  private sizeOf(arrays: Float64Array[]): number {
    // Period-1 averages alias the close column: no memory of their own.
    return arrays.reduce((s, a) => s + (a.buffer === this.bars.close.buffer ? 0 : a.byteLength), 0);
  }

  /** Stores a fully computed kernel's outputs. */
  put(key: string, kernel: IndicatorKernel): void {
    const size = this.sizeOf(kernel.outputs);
    for (const [old, arrays] of this.entries) {
      if (this.bytes + size <= INDICATOR_CACHE_BYTES) break;
      this.entries.delete(old);
      this.bytes -= this.sizeOf(arrays);
      release(arrays.filter((a) => a.buffer !== this.bars.close.buffer)); // no run holds them any more
    }
    this.entries.set(key, kernel.outputs);
    this.bytes += size;
  }

  /** Hands every array back to the buffer pool; the cache must not be used afterwards. */
  dispose(): void {
    for (const arrays of this.entries.values()) release(arrays.filter((a) => a.buffer !== this.bars.close.buffer));
    this.entries.clear();
  }
}
