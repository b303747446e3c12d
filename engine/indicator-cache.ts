import type { IndicatorRequest } from './strategies/strategy.ts';
import { chunked, type Scheduler } from './scheduler.ts';
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

  has(key: string): boolean {
    return this.entries.has(key);
  }

  async get(req: IndicatorRequest, sched: Scheduler): Promise<Float64Array[]> {
    const hit = this.entries.get(req.key);
    if (hit !== undefined) return hit;
    const kernel = req.make(this.bars);
    await chunked(kernel.length, sched, (from, to) => kernel.step(from, to));
    const size = kernel.outputs.reduce((s, a) => s + (a.buffer === this.bars.close.buffer ? 0 : a.byteLength), 0);
    for (const [key, arrays] of this.entries) {
      if (this.bytes + size <= INDICATOR_CACHE_BYTES) break;
      this.entries.delete(key);
      this.bytes -= arrays.reduce((s, a) => s + (a.buffer === this.bars.close.buffer ? 0 : a.byteLength), 0);
    }
    this.entries.set(req.key, kernel.outputs);
    this.bytes += size;
    return kernel.outputs;
  }
}
