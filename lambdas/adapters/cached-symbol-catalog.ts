import type { SymbolCatalog, SymbolEntry } from '../core/ports/symbol-catalog.ts';

export interface CachedSymbolCatalogOptions {
  /** How long a listing is served before the next call refreshes it. @default 300_000 (5 minutes) */
  ttlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Keeps the last listing for `ttlMs`, so submit checks symbols against memory, not S3 or the disk. Concurrent callers
 * share one refresh. When a refresh fails and an older listing exists, the older one is served (and the next call
 * tries again): a brief S3 error must not refuse every submit. New data appears within `ttlMs`.
 */
export class CachedSymbolCatalog implements SymbolCatalog {
  readonly #inner: SymbolCatalog;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #value: { entries: SymbolEntry[]; at: number } | undefined;
  #refreshing: Promise<SymbolEntry[]> | undefined;

  constructor(inner: SymbolCatalog, options: CachedSymbolCatalogOptions = {}) {
    this.#inner = inner;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#now = options.now ?? Date.now;
  }

  list(): Promise<SymbolEntry[]> {
    if (this.#value && this.#now() - this.#value.at < this.#ttlMs) return Promise.resolve(this.#value.entries);
    this.#refreshing ??= this.#inner.list().then(
      (entries) => {
        this.#value = { entries, at: this.#now() };
        this.#refreshing = undefined;
        return entries;
      },
      (error: unknown) => {
        this.#refreshing = undefined;
        if (this.#value) return this.#value.entries;
        throw error;
      },
    );
    return this.#refreshing;
  }
}
