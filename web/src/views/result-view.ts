/**
 * One job: its settings and live progress while it runs; once it succeeded, the stats table, equity and drawdown
 * charts, the trades (paged) and, for a sweep, the top-N table and a heatmap over a two-parameter grid. Choosing a
 * heatmap cell or a top-N row runs that combination as a single backtest (see runCombination).
 */
import { ApiError } from '../../../client/api-client.ts';
import type { JobView, SubmitBody, SweepView, TradesPage } from '../../../client/types.ts';
import { h, replace } from '../dom.ts';
import { dateOnly, int, money, num, paramsText, pct, utc } from '../format.ts';
import { progressBar } from '../progress-bar.ts';
import { chartFigure, dataTable, type ChartFigure } from '../charts.ts';
import { heatmap } from '../heatmap.ts';
import { LOWER_IS_BETTER, statsTable } from '../stats-table.ts';
import { isTerminal } from '../job-feed.ts';
import { announce } from '../live-region.ts';
import { jobName } from './jobs-view.ts';
import type { AppContext } from '../app-context.ts';

const TRADES_PAGE = 25;

export function resultView(ctx: AppContext, signal: AbortSignal, jobId: string): HTMLElement {
  const title = h('h2', { id: 'result-title', tabindex: -1 }, 'Backtest');
  const meta = h('dl', { class: 'meta' });
  const bar = progressBar('Progress of this backtest');
  const live = h('div', { class: 'live' }, bar.element);
  const actions = h('div', { class: 'actions' });
  const body = h('div', { class: 'result-body' });
  const message = h('p', { class: 'inline-error', role: 'alert', hidden: true });
  const charts: ChartFigure[] = [];
  signal.addEventListener('abort', () => charts.forEach((c) => c.dispose()));
  let shown: string | undefined;

  const showError = (text: string): void => {
    message.hidden = false;
    message.textContent = text;
  };

  const renderHeader = (job: JobView | ReturnType<typeof ctx.feed.jobs.get>): void => {
    if (job === undefined) return;
    title.textContent = jobName(job);
    const r = job.request;
    const item = (term: string, value: string): HTMLElement[] => [h('dt', {}, term), h('dd', {}, value)];
    replace(
      meta,
      item('Status', job.cancelRequested === true && !isTerminal(job.status) ? 'cancelling' : job.status),
      item('Job', job.jobId),
      item('Parameters', paramsText(r.params ?? {}) || 'defaults'),
      item('Data', `${r.symbol} ${r.timeframe}, ${r.startDate ?? 'first bar'} to ${r.endDate ?? 'last bar'}`),
      item('Cash, commission', `${money(r.initialCash)}, ${pct((r.commission ?? 0) * 100, 3)}`),
      item('Created', utc(job.createdAt)),
      job.finishedAt !== undefined ? item('Finished', utc(job.finishedAt)) : null,
      item('Attempts', String(job.attempts)),
    );
    bar.update(job);
    live.hidden = job.status === 'succeeded';
    if (!isTerminal(job.status) && job.cancelRequested !== true) {
      if (actions.querySelector('button') === null) {
        const cancel = h('button', { type: 'button', class: 'danger' }, 'Cancel backtest') as HTMLButtonElement;
        cancel.addEventListener('click', () => {
          cancel.disabled = true;
          ctx.feed.cancel(job.jobId).then(
            () => announce('Cancel requested.'),
            (e: unknown) => {
              cancel.disabled = false;
              showError(`Could not cancel: ${ctx.describeError(e)}`);
            },
          );
        });
        replace(actions, cancel);
      }
    } else {
      replace(actions);
    }
  };

  const renderOutcome = async (job: JobView): Promise<void> => {
    if (shown === job.status) return;
    shown = job.status;
    if (job.status === 'failed') {
      replace(body, h('p', { class: 'inline-error' }, `The backtest failed: ${job.error?.message ?? 'no reason was recorded'}.`));
      return;
    }
    if (job.status === 'cancelled') {
      replace(body, h('p', { class: 'note' }, 'The backtest was cancelled; its credit was refunded.'));
      return;
    }
    if (job.status !== 'succeeded' || job.result === undefined) {
      replace(body, h('p', { class: 'note' }, job.status === 'queued' ? 'Waiting in the queue…' : 'Running: the result appears here when it finishes.'));
      return;
    }
    const result = job.result;
    const summary = h(
      'section',
      { class: 'panel stats-panel', 'aria-labelledby': 'stats-title' },
      h('h3', { id: 'stats-title' }, job.combinations > 1 ? `Best of ${int(job.combinations)}` : 'Result'),
      job.combinations > 1 ? h('p', { class: 'best-params' }, paramsText(result.params)) : null,
      statsTable(result.stats, job.combinations > 1 ? 'Statistics of the best combination' : 'Statistics'),
    );
    const chartsBox = h('section', { class: 'panel charts-panel', 'aria-label': 'Charts' });
    const tradesBox = h('section', { class: 'panel trades-panel', 'aria-labelledby': 'trades-title' }, h('h3', { id: 'trades-title' }, 'Trades'));
    const sweepBox = h('section', { class: 'panel sweep-panel', 'aria-labelledby': 'sweep-title', hidden: job.combinations <= 1 });
    replace(body, h('div', { class: 'result-grid' }, summary, h('div', { class: 'result-main' }, chartsBox, sweepBox)), tradesBox);
    await Promise.all([loadCharts(job, chartsBox), loadTrades(job, tradesBox), job.combinations > 1 ? loadSweep(job, sweepBox) : Promise.resolve()]);
  };

  const loadCharts = async (job: JobView, box: HTMLElement): Promise<void> => {
    try {
      const eq = await ctx.api.equity(job.jobId);
      if (signal.aborted) return;
      const rows = (): (string | number)[][] => eq.time.map((t, i) => [dateOnly(t), money(eq.equity[i]), pct(eq.drawdownPct[i])]);
      const intraday = job.request.timeframe !== '1d';
      const equity = chartFigure({ caption: 'Equity curve', intraday, height: 220, table: () => dataTable('Equity curve', ['Date', 'Equity', 'Drawdown'], rows()) });
      const drawdown = chartFigure({ caption: 'Drawdown', height: 120, percent: true, intraday, table: () => dataTable('Drawdown', ['Date', 'Equity', 'Drawdown'], rows()) });
      replace(box, equity.figure, drawdown.figure);
      charts.push(equity, drawdown);
      equity.setData([{ name: 'Equity', color: '#4aa3ff', points: eq.time.map((t, i) => ({ time: t, value: eq.equity[i] })) }]);
      drawdown.setData([{ name: 'Drawdown', color: '#ff5c5c', kind: 'area', points: eq.time.map((t, i) => ({ time: t, value: eq.drawdownPct[i] })) }]);
    } catch (error) {
      replace(box, h('p', { class: 'inline-error' }, `The equity curve could not be read: ${ctx.describeError(error)}`));
    }
  };

  const loadTrades = async (job: JobView, box: HTMLElement): Promise<void> => {
    const cursors: (string | undefined)[] = [undefined];
    let page = 0;
    // Focusable so a narrow window's horizontal scroll works from the keyboard.
    const tableBox = h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-labelledby': 'trades-title' });
    const info = h('p', { class: 'hint', 'aria-live': 'polite' });
    const prev = h('button', { type: 'button', class: 'small' }, 'Previous') as HTMLButtonElement;
    const next = h('button', { type: 'button', class: 'small' }, 'Next') as HTMLButtonElement;
    box.append(h('div', { class: 'pager' }, prev, next, info), tableBox);
    const show = async (): Promise<void> => {
      let data: TradesPage;
      try {
        data = await ctx.api.trades(job.jobId, { limit: TRADES_PAGE, ...(cursors[page] !== undefined ? { cursor: cursors[page] } : {}) });
      } catch (error) {
        replace(tableBox, h('p', { class: 'inline-error' }, `Trades could not be read: ${ctx.describeError(error)}`));
        return;
      }
      cursors[page + 1] = data.nextCursor ?? undefined;
      const first = page * TRADES_PAGE;
      info.textContent =
        data.items.length === 0
          ? 'No trades.'
          : `Trades ${int(first + 1)}–${int(first + data.items.length)} of ${int(data.stored)}${data.total > data.stored ? ` kept (${int(data.total)} made; the first ${int(data.stored)} are stored)` : ''}`;
      prev.disabled = page === 0;
      next.disabled = data.nextCursor === null;
      replace(
        tableBox,
        data.items.length === 0
          ? null
          : dataTable(
              `Trades, page ${page + 1}`,
              ['#', 'Side', 'Size', 'Entry', 'Entry price', 'Exit', 'Exit price', 'P&L', 'Return'],
              data.items.map((t, i) => [first + i + 1, t.side, num(t.size, Number.isInteger(t.size) ? 0 : 4), t.entryTime.slice(0, 16).replace('T', ' '), num(t.entryPrice, 4), t.exitTime.slice(0, 16).replace('T', ' '), num(t.exitPrice, 4), money(t.pnl), pct(t.returnPct)]),
            ),
      );
    };
    prev.addEventListener('click', () => {
      page = Math.max(0, page - 1);
      void show();
    });
    next.addEventListener('click', () => {
      page += 1;
      void show();
    });
    await show();
  };

  const loadSweep = async (job: JobView, box: HTMLElement): Promise<void> => {
    let sweep: SweepView;
    try {
      sweep = await ctx.api.sweep(job.jobId);
    } catch (error) {
      replace(box, h('p', { class: 'inline-error' }, `The sweep table could not be read: ${ctx.describeError(error)}`));
      return;
    }
    const status = h('p', { class: 'form-status', role: 'status' });
    const choose = (params: Record<string, number | boolean>): void => {
      status.textContent = `Submitting ${paramsText(params)}…`;
      runCombination(ctx, job, params).then(
        (id) => ctx.navigate(`#/jobs/${encodeURIComponent(id)}`),
        (error: unknown) => {
          status.textContent = `Could not run ${paramsText(params)}: ${ctx.describeError(error)}`;
        },
      );
    };
    const metric = sweep.metric;
    const names = Object.keys(sweep.top[0]?.params ?? {});
    const top = h(
      'table',
      { class: 'data top' },
      h('caption', {}, `Top ${sweep.top.length} of ${int(sweep.combinations)} combinations by ${metric}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Rank'), names.map((n) => h('th', { scope: 'col' }, n)), h('th', { scope: 'col' }, metric), h('th', { scope: 'col' }, 'Return'), h('th', { scope: 'col' }, 'Max drawdown'), h('th', { scope: 'col' }, 'Trades'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Open')))),
      h('tbody', {}, sweep.top.map((row, i) =>
        h('tr', {},
          h('th', { scope: 'row' }, String(i + 1)),
          names.map((n) => h('td', {}, String(row.params[n]))),
          h('td', {}, num(row.stats[metric as keyof typeof row.stats] as number, 3)),
          h('td', {}, pct(row.stats.returnPct)),
          h('td', {}, pct(row.stats.maxDrawdownPct)),
          h('td', {}, int(row.stats.trades)),
          h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `Run ${paramsText(row.params)} as its own backtest`, onclick: () => choose(row.params) }, 'Run')),
        ),
      )),
    );
    replace(
      box,
      h('h3', { id: 'sweep-title' }, `Sweep: ${int(sweep.combinations)} combinations ranked by ${metric}`),
      status,
      sweep.grid !== undefined ? heatmap({ grid: sweep.grid, metric, higherIsBetter: !LOWER_IS_BETTER.has(metric), onChoose: choose }) : h('p', { class: 'hint' }, 'A heatmap is drawn when exactly two parameters vary.'),
      h('div', { class: 'table-scroll' }, top),
    );
  };

  const load = async (): Promise<void> => {
    try {
      const job = await ctx.feed.track(jobId);
      if (signal.aborted) return;
      renderHeader(job);
      await renderOutcome(job);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) showError('No such backtest (it may belong to another account).');
      else showError(ctx.describeError(error));
    }
  };

  ctx.feed.addEventListener(
    'change',
    (event) => {
      if ((event as CustomEvent<string | undefined>).detail !== jobId) return;
      const job = ctx.feed.jobs.get(jobId);
      renderHeader(job);
      // A finished job is read again in full (the pushed summary has no sweep table).
      if (job !== undefined && isTerminal(job.status) && shown !== job.status) void load();
    },
    { signal },
  );
  void load();
  return h(
    'section',
    { class: 'result', 'aria-labelledby': 'result-title' },
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← All backtests')),
    h('div', { class: 'panel result-head' }, title, meta, live, actions),
    message,
    body,
  );
}

/**
 * A combination of a sweep run as its own single backtest: the parent's request with every parameter fixed to the
 * chosen values. The Idempotency-Key is derived from the parent job and the parameters, so choosing the same cell
 * again opens the same job instead of spending another credit (within the key's 24 h).
 */
export async function runCombination(ctx: AppContext, parent: JobView, chosen: Record<string, number | boolean>): Promise<string> {
  const params: Record<string, number | boolean> = {};
  for (const [name, value] of Object.entries(parent.request.params ?? {})) {
    if (typeof value === 'number' || typeof value === 'boolean') params[name] = value;
    else if (Array.isArray(value)) params[name] = value[0];
    else params[name] = value.from;
  }
  Object.assign(params, chosen);
  const { sweep: _sweep, ...request } = parent.request;
  const body: SubmitBody = { ...request, params };
  const canonical = Object.keys(params).sort().map((k) => `${k}=${String(params[k])}`).join('&');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
  const hex = [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const response = await ctx.api.submit(body, { idempotencyKey: `combo-${parent.jobId}-${hex}` });
  announce(`Submitted ${paramsText(params)} as its own backtest.`);
  void ctx.refreshMe();
  return response.jobId;
}
