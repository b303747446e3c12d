import type { BarSeries } from '../../engine/index.ts';

export interface SeriesCacheOptions {
  /** Most bars held at once over all entries (six Float64 columns: 48 bytes a bar). @default 2_000_000 (about 96 MB) */
  maxBars?: number;
  /** @default 32 */
  maxEntries?: number;
}

/**
 * Parsed series kept for the life of a (Lambda) process, least recently used evicted first. A warm worker runs many
 * jobs on the same few symbols; parsing a 20-year CSV each time would cost more than the backtest. Concurrent loads
 * of one key share one promise; a failed load is not kept.
 */
export class SeriesCache {
  readonly #maxBars: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { promise: Promise<BarSeries>; bars: number }>();

  constructor(options: SeriesCacheOptions = {}) {
    this.#maxBars = options.maxBars ?? 2_000_000;
    this.#maxEntries = options.maxEntries ?? 32;
  }

  get(key: string, load: () => Promise<BarSeries>): Promise<BarSeries> {
    const hit = this.#entries.get(key);
    if (hit) {
      // Re-insert: Map iteration order is insertion order, so the first entry is the least recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.promise;
    }
    const entry = { promise: load(), bars: 0 };
    this.#entries.set(key, entry);
    entry.promise.then(
      (series) => {
        entry.bars = series.length;
        this.#evict(key);
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.promise;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  #evict(keep: string): void {
    let total = 0;
    for (const entry of this.#entries.values()) total += entry.bars;
    for (const [key, entry] of this.#entries) {
      if (total <= this.#maxBars && this.#entries.size <= this.#maxEntries) break;
      if (key === keep) continue;
      this.#entries.delete(key);
      total -= entry.bars;
    }
  }
}
