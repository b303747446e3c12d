/**
 * The leaderboard (`#/leaderboard`, `#/leaderboard/<board>`): the boards with their windows, and one board's entries
 * ranked by an out-of-sample metric in a table (in-sample Sharpe, the gap and the deflated Sharpe ratio beside it),
 * with more rows on demand. Each entry's Copy button opens the submit form filled in with its strategy, parameters,
 * costs and the board's out-of-sample window (docs/leaderboard.md).
 */
import type { BoardView, LeaderboardEntryView, RankMetric } from '../../../client/leaderboard-types.ts';
import type { SubmitBody } from '../../../client/types.ts';
import { h, replace } from '../dom.ts';
import { num, paramsText, pct } from '../format.ts';
import { setPrefill } from '../submit-prefill.ts';
import type { AppContext } from '../app-context.ts';

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

    const load = async (reset: boolean): Promise<void> => {
      more.disabled = true;
      status.textContent = 'Loading…';
      try {
        const page = await ctx.api.leaderboard(board.id, { metric: metricSelect.value as RankMetric, ...(reset || cursor === null ? {} : { cursor }) });
        if (signal.aborted) return;
        if (reset) replace(body);
        body.append(...page.items.map(row));
        cursor = page.nextCursor;
        more.hidden = cursor === null;
        empty.hidden = body.childElementCount > 0;
        status.textContent = `${body.childElementCount} entr${body.childElementCount === 1 ? 'y' : 'ies'}, ranked by out-of-sample ${METRIC_LABELS[page.metric] ?? page.metric}.`;
      } catch (e) {
        status.textContent = '';
        fail('The board could not be read', e);
      } finally {
        more.disabled = false;
      }
    };
    metricSelect.addEventListener('change', () => void load(true));
    more.addEventListener('click', () => void load(false));

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
    );
    await load(true);
  })();
  return section;
}
