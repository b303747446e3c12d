import type { LeaderboardPage, RankMetric } from '../../client/leaderboard-types.ts';
import { EXIT, UsageError } from '../errors.ts';
import { num, paramsText } from '../format.ts';
import { table, type Output } from '../output.ts';
import { openSession } from '../session.ts';
import type { ConnectionOptions } from '../target.ts';

const METRICS: readonly RankMetric[] = ['sharpe', 'return', 'maxDrawdown', 'sortino', 'calmar'];

function boardPageText(page: LeaderboardPage): string {
  const b = page.board;
  const head = `${b.id}: ${b.title}\n${b.symbol} ${b.timeframe}, tuned on ${b.inSample.startDate}..${b.inSample.endDate}, ranked by out-of-sample ${page.metric} on ${b.outOfSample.startDate}..${b.outOfSample.endDate}`;
  if (page.items.length === 0) return `${head}\n\nno entries yet: publish a succeeded job with \`backtest leaderboard publish JOB_ID --board ${b.id} --name "Your Name"\``;
  const rows = page.items.map((e) => [
    String(e.rank ?? ''),
    e.displayName,
    `${e.strategyId} ${paramsText(e.params)}`,
    num(e.outOfSample.stats.sharpe),
    num(e.outOfSample.stats.returnPct, 'returnPct'),
    num(e.outOfSample.stats.maxDrawdownPct, 'maxDrawdownPct'),
    num(e.inSample.stats.sharpe),
    num(e.gap.sharpe),
    e.deflatedSharpe.probability === null ? '-' : e.deflatedSharpe.probability.toFixed(3),
    String(e.deflatedSharpe.trials),
    e.entryId,
  ]);
  return `${head}\n\n${table(
    ['#', 'name', 'strategy', 'OOS sharpe', 'OOS return%', 'OOS maxDD%', 'IS sharpe', 'gap', 'DSR', 'trials', 'entry'],
    rows,
    ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  )}`;
}

/**
 * `backtest leaderboard [BOARD]`: without a board, every board and its windows; with one, a page of its entries ranked
 * by an out-of-sample metric (--metric, default sharpe), and the command for the next page.
 */
export async function leaderboardCommand(board: string | undefined, options: ConnectionOptions & { metric?: string; limit?: string; cursor?: string }, out: Output): Promise<number> {
  if (options.metric !== undefined && !METRICS.includes(options.metric as RankMetric)) throw new UsageError(`--metric must be one of ${METRICS.join(', ')}.`);
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit must be a whole number from 1 up.');
  const session = await openSession(options, out);
  if (board === undefined) {
    const view = await session.call(session.api.leaderboards());
    if (out.json) out.data(view);
    else {
      out.line(
        table(
          ['board', 'symbol', 'tune on (in sample)', 'ranked on (out of sample)', 'title'],
          view.boards.map((b) => [b.id, `${b.symbol} ${b.timeframe}`, `${b.inSample.startDate}..${b.inSample.endDate}`, `${b.outOfSample.startDate}..${b.outOfSample.endDate}`, b.title]),
          ['l', 'l', 'l', 'l', 'l'],
        ),
      );
      out.line(`\nmetrics: ${view.metrics.join(', ')} (default ${view.defaultMetric}); a board's ranking: backtest leaderboard BOARD`);
    }
    return EXIT.ok;
  }
  const page = await session.call(
    // No subject: a missing board is the API's own sentence ("No board X"), not "... or is not yours".
    session.api.leaderboard(board, { ...(options.metric ? { metric: options.metric as RankMetric } : {}), ...(limit !== undefined ? { limit } : {}), ...(options.cursor ? { cursor: options.cursor } : {}) }),
  );
  if (out.json) out.data(page);
  else {
    out.line(boardPageText(page));
    if (page.nextCursor) out.line(`\nmore: backtest leaderboard ${board}${options.metric ? ` --metric ${options.metric}` : ''}${limit ? ` --limit ${limit}` : ''} --cursor ${page.nextCursor}`);
  }
  return EXIT.ok;
}

/** `backtest leaderboard publish JOB_ID --board B --name N`: queues the out-of-sample run; the entry lands when it succeeds. */
export async function publishCommand(jobId: string, options: ConnectionOptions & { board?: string; name?: string; watch?: boolean }, out: Output): Promise<number> {
  if (!options.board) throw new UsageError('--board is required (backtest leaderboard lists the boards).');
  if (!options.name) throw new UsageError('--name is required: the display name the board shows (3-32 letters, digits, spaces, _ . -).');
  const session = await openSession(options, out);
  const res = await session.call(session.api.publish(jobId, { board: options.board, displayName: options.name }), `job ${jobId}`, 'the publication');
  if (out.json && !options.watch) out.data(res);
  else if (!out.json) {
    out.line(`publishing job ${jobId} on ${res.board}: its out-of-sample run is job ${res.outOfSampleJobId} (charged like any job)`);
    if (!options.watch) out.line(`follow it: backtest watch ${res.outOfSampleJobId}; the entry appears on \`backtest leaderboard ${res.board}\` when it succeeds`);
  }
  if (!options.watch) return EXIT.ok;
  return (await import('./jobs.ts')).watchCommand(res.outOfSampleJobId, options, out);
}

/** `backtest leaderboard unpublish JOB_ID --board B`: removes your entry for that job's strategy. */
export async function unpublishCommand(jobId: string, options: ConnectionOptions & { board?: string }, out: Output): Promise<number> {
  if (!options.board) throw new UsageError('--board is required.');
  const session = await openSession(options, out);
  const res = await session.call(session.api.unpublish(jobId, options.board), `your entry for job ${jobId}`);
  if (out.json) out.data(res);
  else out.line(`removed your entry from ${res.board}`);
  return EXIT.ok;
}

/**
 * `backtest copy BOARD ENTRY_ID [--symbol S] [--start D] [--end D] [--watch]`: the entry's strategy, parameters and
 * costs as your own job (on the board's out-of-sample window unless you say otherwise), charged like any submit.
 */
export async function copyCommand(
  board: string,
  entryId: string,
  options: ConnectionOptions & { symbol?: string; start?: string; end?: string; watch?: boolean; idempotencyKey?: string },
  out: Output,
): Promise<number> {
  const body = { ...(options.symbol ? { symbol: options.symbol } : {}), ...(options.start ? { startDate: options.start } : {}), ...(options.end ? { endDate: options.end } : {}) };
  const session = await openSession(options, out);
  const submitted = await session.call(
    session.api.copyEntry(board, entryId, body, options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    undefined,
    'the copy',
  );
  if (out.json && !options.watch) out.data(submitted);
  else if (!out.json) out.line(`submitted job ${submitted.jobId} (${submitted.tier} queue): a copy of entry ${entryId} on ${board}`);
  if (!options.watch) {
    if (!out.json) out.line(`follow it: backtest watch ${submitted.jobId}`);
    return EXIT.ok;
  }
  return (await import('./jobs.ts')).watchCommand(submitted.jobId, options, out);
}
