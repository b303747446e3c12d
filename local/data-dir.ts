import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '..');

/**
 * The CSV folder (`<SYMBOL>-<timeframe>.csv`) that `npm start` and `backtest run --symbol` read when DATA_DIR is not
 * set: your own `data/` (git-ignored) when it exists, else the small example set shipped in `examples/data/`, so a
 * fresh clone can run the README's examples on real prices.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DATA_DIR) return resolve(env.DATA_DIR);
  const own = join(REPO_ROOT, 'data');
  return existsSync(own) ? own : join(REPO_ROOT, 'examples', 'data');
}
