/**
 * The leaderboard (`#/leaderboard`, `#/leaderboard/<board>`): the boards with their windows, and one board's entries
 * ranked by an out-of-sample metric in a table (in-sample Sharpe, the gap and the deflated Sharpe ratio beside it),
 * with more rows on demand. Each entry's Copy button opens the submit form filled in with its strategy, parameters,
 * costs and the board's out-of-sample window (docs/leaderboard.md). While the view is open it watches the board over the
 * app's WebSocket (job-feed.ts), so an entry published by anyone appears without a reload.
 */
import type { BoardView, LeaderboardEntryView, LeaderboardMessage, RankMetric } from '../../../client/leaderboard-types.ts';
import type { SubmitBody } from '../../../client/types.ts';
import { h, replace } from '../dom.ts';
import { announce } from '../live-region.ts';
import { ranksBefore } from '../board-order.ts';
import { num, paramsText, pct } from '../format.ts';
import { setPrefill } from '../submit-prefill.ts';
import type { AppContext } from '../app-context.ts';
import type { BoardWatchAnswer } from '../job-feed.ts';

const METRIC_LABELS: Record<RankMetric, string> = {
  sharpe: 'Sharpe ratio',
  return: 'Return',
  maxDrawdown: 'Maximum drawdown',
  sortino: 'Sortino ratio',
  calmar: 'Calmar ratio',
};

/** The submit body a copy of the entry runs: what POST /leaderboard/{board}/entries/{entryId}/copy would submit. */
export function copyBody(entry: LeaderboardEntryView, board: Pick<BoardView, 'symbol' | 'timeframe' | 'outOfSample'>): SubmitBody {
  return {
    strategyId: entry.strategyId,
    params: entry.params as SubmitBody['params'],
    symbol: board.symbol,
    timeframe: board.timeframe as SubmitBody['timeframe'],
    startDate: board.outOfSample.startDate,
    endDate: board.outOfSample.endDate,
    initialCash: entry.costs.initialCash,
    commission: entry.costs.commission,
    slippageBps: entry.costs.slippageBps,
    sizing: entry.costs.sizing,
    fractional: entry.costs.fractional,
  };
}

export function leaderboardView(ctx: AppContext, signal: AbortSignal, boardId: string | undefined): HTMLElement {
  // The heading is there at once (the router focuses it); the rest arrives with the boards.
  const content = h('div', {}, h('p', { class: 'form-status' }, 'Loading the boards…'));
  const section = h('section', { class: 'panel leaderboard', 'aria-labelledby': 'leaderboard-title' }, h('h2', { id: 'leaderboard-title' }, 'Leaderboard'), content);
  const status = h('p', { class: 'form-status', role: 'status' });
  const error = h('p', { class: 'inline-error', role: 'alert', hidden: true });
  const fail = (what: string, e: unknown): void => {
    error.hidden = false;
    error.textContent = `${what}: ${ctx.describeError(e)}`;
  };

  void (async () => {
    let boards: BoardView[];
    let metrics: RankMetric[];
    try {
      const view = await ctx.api.leaderboards();
      boards = view.boards;
      metrics = view.metrics;
    } catch (e) {
      replace(content, error);
      fail('The boards could not be read', e);
      return;
    }
    if (signal.aborted) return;
    const board = boards.find((b) => b.id === boardId) ?? boards[0];
    if (board === undefined) {
      replace(content, h('p', { class: 'empty' }, 'There are no boards.'));
      return;
    }
    const boardSelect = h('select', { id: 'board' }, boards.map((b) => h('option', { value: b.id }, `${b.symbol} ${b.timeframe}: ${b.id}`))) as HTMLSelectElement;
    boardSelect.value = board.id;
    boardSelect.addEventListener('change', () => ctx.navigate(`#/leaderboard/${encodeURIComponent(boardSelect.value)}`));
    const metricSelect = h('select', { id: 'rank-metric' }, metrics.map((m) => h('option', { value: m }, METRIC_LABELS[m] ?? m))) as HTMLSelectElement;
    const body = h('tbody');
    const more = h('button', { type: 'button', class: 'small', hidden: true }, 'Show more entries') as HTMLButtonElement;
    const empty = h('p', { class: 'empty', hidden: true }, `No entries yet. Tune a strategy on ${board.symbol} ${board.inSample.startDate} to ${board.inSample.endDate}, then: npx backtest leaderboard publish JOB_ID --board ${board.id} --name "Your Name"`);
    let cursor: string | null = null;
    // The loaded rows, best first: always the board's first entries, so an entry's rank is its index + 1.
    let entries: LeaderboardEntryView[] = [];
    const live = h('p', { class: 'hint', role: 'status' });

    const row = (e: LeaderboardEntryView): HTMLTableRowElement => {
      const copy = h('button', { type: 'button', class: 'small', 'aria-label': `Copy ${e.displayName}'s ${e.strategyId} into a new backtest` }, 'Copy') as HTMLButtonElement;
      copy.addEventListener('click', () => {
        setPrefill(copyBody(e, board), `${e.displayName} on ${board.id}`);
        ctx.navigate('#/');
      });
      const dsr = e.deflatedSharpe.probability;
      return h(
        'tr',
        { 'data-entry-id': e.entryId },
        h('td', { class: 'num' }, String(e.rank ?? '')),
        h('th', { scope: 'row' }, e.displayName),
        h('td', {}, `${e.strategyId} (${paramsText(e.params)})`),
        h('td', { class: 'num' }, num(e.outOfSample.stats.sharpe, 3)),
        h('td', { class: 'num' }, pct(e.outOfSample.stats.returnPct)),
        h('td', { class: 'num' }, pct(e.outOfSample.stats.maxDrawdownPct)),
        h('td', { class: 'num' }, num(e.inSample.stats.sharpe, 3)),
        h('td', { class: 'num' }, num(e.gap.sharpe, 3)),
        h('td', { class: 'num', title: `${e.deflatedSharpe.trials} combination(s) tried; variance from ${e.deflatedSharpe.varianceBasis}` }, dsr === null ? '—' : num(dsr, 3)),
        h('td', {}, copy),
      );
    };

    // Rows are kept by entry id and only the changes touch the table, so a Copy button that has focus keeps it
    // when an entry lands above it.
    const rows = new Map<string, HTMLTableRowElement>();
    const render = (): void => {
      const wanted = new Set(entries.map((e) => e.entryId));
      for (const [id, tr] of rows) {
        if (wanted.has(id)) continue;
        tr.remove();
        rows.delete(id);
      }
      entries.forEach((e, i) => {
        let tr = rows.get(e.entryId);
        if (tr === undefined) rows.set(e.entryId, (tr = row(e)));
        const rank = tr.cells[0];
        if (rank !== undefined) rank.textContent = String(i + 1);
        if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
      });
      more.hidden = cursor === null;
      empty.hidden = entries.length > 0;
      const metric = metricSelect.value as RankMetric;
      status.textContent = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ranked by out-of-sample ${METRIC_LABELS[metric] ?? metric}.`;
    };

    /**
     * `reset` reads the first page; `refresh` reads again as many first entries as are loaded (one request, at most
     * 100: beyond that the first page), so a replaced entry leaves and every rank is the server's; otherwise the next page.
     */
    const load = async (mode: 'reset' | 'refresh' | 'more'): Promise<void> => {
      more.disabled = true;
      // A refresh behind an arrival is not announced as loading: the live region already says what arrived.
      if (mode !== 'refresh') status.textContent = 'Loading…';
      try {
        const metric = metricSelect.value as RankMetric;
        const limit = mode === 'refresh' && entries.length > 20 && entries.length <= 100 ? entries.length : undefined;
        const page = await ctx.api.leaderboard(board.id, { metric, ...(mode === 'more' && cursor !== null ? { cursor } : {}), ...(limit !== undefined ? { limit } : {}) });
        if (signal.aborted) return;
        entries = mode === 'more' ? [...entries, ...page.items.filter((e) => !entries.some((x) => x.entryId === e.entryId))] : page.items;
        cursor = page.nextCursor;
        error.hidden = true;
      } catch (e) {
        fail('The board could not be read', e);
      } finally {
        more.disabled = false;
        if (!signal.aborted) render();
      }
    };
    // One read at a time, in order: an arrival during a read is applied to that read's rows, not raced against them.
    let queue: Promise<void> = Promise.resolve();
    const enqueue = (work: () => Promise<void>): void => {
      queue = queue.then(work, work);
    };
    metricSelect.addEventListener('change', () => enqueue(() => load('reset')));
    more.addEventListener('click', () => enqueue(() => load('more')));

    /**
     * A new entry on the board: the loaded rows are read again (a better entry replaces its owner's older one, which
     * only the server knows). Where the index has not caught up yet (AWS: eventually consistent), the pushed entry is
     * placed by the documented order itself, but only among the loaded rows: one that ranks after the last loaded row
     * while more pages exist belongs to a later page, where Show more finds it.
     */
    const arrived = async (entry: LeaderboardEntryView): Promise<void> => {
      await load('refresh');
      if (signal.aborted) return;
      const metric = metricSelect.value as RankMetric;
      if (!entries.some((e) => e.entryId === entry.entryId)) {
        const at = entries.findIndex((e) => ranksBefore(entry, e, metric));
        if (at >= 0) entries.splice(at, 0, entry);
        else if (cursor === null) entries.push(entry);
        render();
      }
      const index = entries.findIndex((e) => e.entryId === entry.entryId);
      announce(
        index >= 0
          ? `New entry on ${board.id}: ${entry.displayName}'s ${entry.strategyId}, rank ${index + 1}.`
          : `New entry on ${board.id}: ${entry.displayName}'s ${entry.strategyId}, ranked after the entries shown.`,
      );
    };
    const onEntry = (event: Event): void => {
      const message = (event as CustomEvent<LeaderboardMessage>).detail;
      if (message.board === board.id) enqueue(() => arrived(message.entry));
    };
    // A dropped socket misses entries: say so, and read the board again once it is back (as the jobs list does).
    let wasDown = false;
    const onSocket = (): void => {
      if (ctx.feed.socketState === 'down') {
        wasDown = true;
        live.textContent = 'Live updates paused: the connection was lost. The board is read again when it is back.';
      } else if (ctx.feed.socketState === 'live') {
        live.textContent = '';
        if (wasDown) enqueue(() => load('refresh'));
        wasDown = false;
      }
    };
    // A refused watch (the connection already holds the most subscriptions one may: many open tabs) means no entry
    // will be pushed: say so, instead of a board that silently stops updating; a later watch that holds clears it.
    let refused = false;
    const onWatch = (event: Event): void => {
      const answer = (event as CustomEvent<BoardWatchAnswer>).detail;
      if (answer.board !== board.id) return;
      if (!answer.watching) {
        refused = true;
        const why = answer.message.replace(/\.?$/, '');
        live.textContent = `Live updates are off for this board. The server refused to watch it: ${why.charAt(0).toLowerCase()}${why.slice(1)}. New entries show when you open the board again.`;
      } else if (refused) {
        refused = false;
        live.textContent = '';
      }
    };
    ctx.feed.addEventListener('leaderboard', onEntry);
    ctx.feed.addEventListener('socket', onSocket);
    ctx.feed.addEventListener('board-watch', onWatch);
    ctx.feed.watchBoard(board.id);
    signal.addEventListener('abort', () => {
      ctx.feed.unwatchBoard(board.id);
      ctx.feed.removeEventListener('leaderboard', onEntry);
      ctx.feed.removeEventListener('socket', onSocket);
      ctx.feed.removeEventListener('board-watch', onWatch);
    });
    onSocket();

    replace(
      content,
      h(
        'p',
        { class: 'hint' },
        `${board.title}. Entries were tuned on ${board.inSample.startDate} to ${board.inSample.endDate} and are ranked on ${board.outOfSample.startDate} to ${board.outOfSample.endDate}, data their authors never tuned on. DSR is the deflated Sharpe ratio of the in-sample winner: the probability that its Sharpe ratio is real given how many combinations were tried.`,
      ),
      h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'board' }, 'Board'), boardSelect), h('div', { class: 'field' }, h('label', { for: 'rank-metric' }, 'Rank by'), metricSelect)),
      error,
      h(
        'table',
        { class: 'leaderboard-table' },
        h('caption', {}, `${board.symbol} ${board.timeframe} leaderboard (out of sample ${board.outOfSample.startDate} to ${board.outOfSample.endDate})`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Rank', 'Name', 'Strategy', 'Sharpe (out of sample)', 'Return (out of sample)', 'Max drawdown (out of sample)', 'Sharpe (in sample)', 'Sharpe gap', 'DSR', 'Copy'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        body,
      ),
      empty,
      h('div', { class: 'actions' }, more, status),
      live,
    );
    enqueue(() => load('reset'));
  })();
  return section;
}
