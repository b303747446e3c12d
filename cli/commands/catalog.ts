import type { SymbolView } from '../../client/types.ts';
import { EXIT, UsageError } from '../errors.ts';
import { meText, strategiesText, symbolsText } from '../format.ts';
import type { Output } from '../output.ts';
import { openSession } from '../session.ts';
import type { ConnectionOptions } from '../target.ts';

/** `backtest me`: who the token says you are, credits, today's submissions and when the limit resets. */
export async function meCommand(options: ConnectionOptions, out: Output): Promise<number> {
  const session = await openSession(options, out);
  const me = await session.call(session.api.me());
  if (out.json) out.data(me);
  else out.line(meText(me));
  return EXIT.ok;
}

/** `backtest strategies`: every strategy with its parameters' defaults and bounds. */
export async function strategiesCommand(options: ConnectionOptions, out: Output): Promise<number> {
  const session = await openSession(options, out);
  const view = await session.call(session.api.strategies());
  if (out.json) out.data(view);
  else out.line(strategiesText(view.items));
  return EXIT.ok;
}

/** Pages the listing is followed through at most (a folder of thousands of files still ends). */
const MAX_PAGES = 100;

/** `backtest symbols`: the market data the service can run on; all pages unless --limit asks for one. */
export async function symbolsCommand(options: ConnectionOptions & { limit?: string; cursor?: string }, out: Output): Promise<number> {
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  // Only the shape here; the API says how large a page may be (its 400 names `limit`).
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit must be a whole number from 1 up.');
  const session = await openSession(options, out);
  const items: SymbolView[] = [];
  let cursor = options.cursor;
  let page = await session.call(session.api.symbols({ ...(limit !== undefined ? { limit } : {}), ...(cursor ? { cursor } : {}) }));
  items.push(...page.items);
  // Without --limit the whole listing is shown; with it, one page and the cursor to the next.
  for (let n = 1; limit === undefined && page.nextCursor && n < MAX_PAGES; n++) {
    cursor = page.nextCursor;
    page = await session.call(session.api.symbols({ cursor }));
    items.push(...page.items);
  }
  const nextCursor = limit !== undefined ? page.nextCursor : null;
  if (out.json) out.data({ items, synthetic: page.synthetic, nextCursor });
  else {
    out.line(symbolsText({ items, synthetic: page.synthetic }));
    if (nextCursor) out.line(`\nmore: backtest symbols --limit ${limit} --cursor ${nextCursor}`);
  }
  return EXIT.ok;
}
