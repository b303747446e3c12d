import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseCsv } from '../../engine/csv.ts';
import { TIMEFRAMES, type Timeframe } from '../../engine/types.ts';
import type { SymbolCatalog, SymbolEntry } from '../core/ports/symbol-catalog.ts';
import { SYMBOL_PATTERN } from './market-data-symbol.ts';

/** `<SYMBOL>-<timeframe>.csv`, as CsvFolderMarketData reads them. */
const FILE_NAME = new RegExp(`^(.+)-(${TIMEFRAMES.join('|')})\\.csv$`);

/**
 * The data sets in the local CSV folder (DATA_DIR). Each file is parsed once per (size, mtime) to learn its first and
 * last bar; a file the engine cannot parse is left out (a backtest on it would fail the same way). A missing folder
 * is an empty catalog: only SYNTH-* symbols exist then.
 */
export class CsvFolderSymbolCatalog implements SymbolCatalog {
  readonly #dir: string;
  readonly #summaries = new Map<string, { version: string; entry: SymbolEntry | undefined }>();

  constructor(props: { dir: string }) {
    this.#dir = resolve(props.dir);
  }

  async list(): Promise<SymbolEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: SymbolEntry[] = [];
    for (const name of names.sort()) {
      const match = FILE_NAME.exec(name);
      if (!match || !SYMBOL_PATTERN.test(match[1])) continue;
      const entry = await this.#summary(name, match[1], match[2] as Timeframe);
      if (entry) entries.push(entry);
    }
    return entries.sort((a, b) => (a.symbol === b.symbol ? TIMEFRAMES.indexOf(a.timeframe) - TIMEFRAMES.indexOf(b.timeframe) : a.symbol < b.symbol ? -1 : 1));
  }

  async #summary(name: string, symbol: string, timeframe: Timeframe): Promise<SymbolEntry | undefined> {
    const path = join(this.#dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const version = `${info.size}:${info.mtimeMs}`;
    const known = this.#summaries.get(name);
    if (known?.version === version) return known.entry;
    let entry: SymbolEntry | undefined;
    try {
      const bars = parseCsv(await readFile(path, 'utf8'), { source: name });
      if (bars.length > 0) {
        entry = { symbol, timeframe, firstBarMs: bars.time[0], lastBarMs: bars.time[bars.length - 1], bars: bars.length, source: 'csv' };
      }
    } catch {
      entry = undefined;
    }
    this.#summaries.set(name, { version, entry });
    return entry;
  }
}
