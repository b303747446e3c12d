import type { SymbolCatalog, SymbolEntry } from '../../../lambdas/core/ports/symbol-catalog.ts';

/** A fixed listing handed in by the test; `lists` counts calls, `failNext` makes the next calls fail like S3 would. */
export class InMemorySymbolCatalog implements SymbolCatalog {
  entries: SymbolEntry[];
  lists = 0;
  failNext = 0;

  constructor(entries: SymbolEntry[] = []) {
    this.entries = entries;
  }

  async list(): Promise<SymbolEntry[]> {
    this.lists += 1;
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('listing unavailable');
    }
    return [...this.entries];
  }
}
