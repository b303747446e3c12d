/**
 * The user's jobs, newest first, with live progress bars (the JobFeed keeps them fresh from the list, the socket or
 * polling) and Cancel for unfinished ones. A row's name is a link to its result view; the row opens it on click too.
 */
import { h, replace } from '../dom.ts';
import { int, num, pct, utc } from '../format.ts';
import { progressBar } from '../progress-bar.ts';
import { isTerminal, type FeedJob } from '../job-feed.ts';
import { announce } from '../live-region.ts';
import type { AppContext } from '../app-context.ts';

interface Row {
  tr: HTMLTableRowElement;
  status: HTMLElement;
  bar: ReturnType<typeof progressBar>;
  action: HTMLElement;
  outcome: HTMLElement;
  lastKey: string;
}

export function jobName(job: Pick<FeedJob, 'request' | 'combinations'>): string {
  const r = job.request;
  return `${r.strategyId} ${r.symbol} ${r.timeframe}${job.combinations > 1 ? ` ×${int(job.combinations)}` : ''}`;
}

export function jobsView(ctx: AppContext, signal: AbortSignal): HTMLElement {
  const body = h('tbody');
  const empty = h('p', { class: 'empty' }, 'No backtests yet. Submit one, or from the CLI: npx backtest submit …');
  const error = h('p', { class: 'inline-error', role: 'alert', hidden: true });
  const older = h('button', { type: 'button', class: 'small', hidden: true }, 'Show older backtests') as HTMLButtonElement;
  older.addEventListener('click', () => {
    older.disabled = true;
    ctx.feed.loadOlder().then(
      () => {
        older.disabled = false;
      },
      (e: unknown) => {
        older.disabled = false;
        error.hidden = false;
        error.textContent = `Older backtests could not be read: ${ctx.describeError(e)}`;
      },
    );
  });
  const rows = new Map<string, Row>();

  const rowFor = (job: FeedJob): Row => {
    let row = rows.get(job.jobId);
    if (row !== undefined) return row;
    const bar = progressBar(`Progress of ${jobName(job)} (${job.jobId.slice(0, 8)})`);
    const status = h('td', { class: 'status' });
    const action = h('td', { class: 'action' });
    const outcome = h('td', { class: 'outcome' });
    const link = h('a', { href: `#/jobs/${encodeURIComponent(job.jobId)}`, class: 'job-link' }, jobName(job));
    const tr = h(
      'tr',
      {
        class: 'job-row',
        'data-job-id': job.jobId,
        // The whole row is a target for the mouse; keyboard users have the link (one tab stop per row).
        onclick: (event: Event) => {
          if ((event.target as HTMLElement).closest('a, button') !== null) return;
          ctx.navigate(`#/jobs/${encodeURIComponent(job.jobId)}`);
        },
      },
      h('td', { class: 'name' }, link, h('span', { class: 'job-id' }, job.jobId.slice(0, 8))),
      status,
      h('td', { class: 'bar-cell' }, bar.element),
      outcome,
      h('td', { class: 'time' }, utc(job.createdAt).slice(5, 16)),
      action,
    ) as HTMLTableRowElement;
    row = { tr, status, bar, action, outcome, lastKey: '' };
    rows.set(job.jobId, row);
    return row;
  };

  const update = (job: FeedJob): void => {
    const row = rowFor(job);
    const key = `${job.status}|${job.progress}|${job.message}|${job.queuePosition}|${job.cancelRequested}|${job.result !== undefined}`;
    if (key === row.lastKey) return;
    row.lastKey = key;
    row.bar.update(job);
    row.status.textContent = job.cancelRequested === true && !isTerminal(job.status) ? 'cancelling' : job.status;
    row.status.dataset.status = job.status;
    const stats = job.result?.stats;
    replace(
      row.outcome,
      stats === undefined
        ? job.status === 'failed' && job.error !== undefined ? h('span', { class: 'neg', title: job.error.message }, job.error.code) : null
        : [h('span', { class: stats.returnPct === null ? 'muted' : stats.returnPct >= 0 ? 'pos' : 'neg' }, pct(stats.returnPct, 1)), h('span', { class: 'muted' }, ` · Sharpe ${num(stats.sharpe)}`)],
    );
    if (isTerminal(job.status) || job.cancelRequested === true) {
      replace(row.action);
    } else if (row.action.childElementCount === 0) {
      const button = h('button', { type: 'button', class: 'small', 'aria-label': `Cancel ${jobName(job)} (${job.jobId.slice(0, 8)})` }, 'Cancel') as HTMLButtonElement;
      button.addEventListener('click', () => {
        button.disabled = true;
        ctx.feed.cancel(job.jobId).then(
          () => announce(`Cancel requested for ${jobName(job)}.`),
          (e: unknown) => {
            button.disabled = false;
            error.hidden = false;
            error.textContent = `Could not cancel: ${ctx.describeError(e)}`;
          },
        );
      });
      replace(row.action, button);
    }
  };

  const render = (): void => {
    const ordered = ctx.feed.order.map((id) => ctx.feed.jobs.get(id)).filter((j): j is FeedJob => j !== undefined);
    for (const job of ordered) update(job);
    const want = ordered.map((j) => rows.get(j.jobId)!.tr);
    if (want.length !== body.children.length || want.some((tr, i) => body.children[i] !== tr)) body.replaceChildren(...want);
    empty.hidden = ordered.length > 0;
    older.hidden = typeof ctx.feed.olderCursor !== 'string';
    error.hidden = ctx.feed.listError === undefined;
    error.textContent = ctx.feed.listError === undefined ? '' : `The job list could not be read: ${ctx.feed.listError}`;
  };

  const onChange = (event: Event): void => {
    const jobId = (event as CustomEvent<string | undefined>).detail;
    const job = jobId === undefined ? undefined : ctx.feed.jobs.get(jobId);
    if (job !== undefined && rows.has(jobId!)) update(job);
    else render();
  };
  ctx.feed.addEventListener('change', onChange, { signal });
  render();

  return h(
    'section',
    { class: 'panel jobs-panel', 'aria-labelledby': 'jobs-title' },
    h('h2', { id: 'jobs-title' }, 'Your backtests'),
    error,
    h(
      'table',
      { class: 'jobs' },
      h('caption', { class: 'visually-hidden' }, 'Your backtests, newest first, with their progress'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Backtest'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Progress'), h('th', { scope: 'col' }, 'Best result'), h('th', { scope: 'col' }, 'Created (UTC)'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      body,
    ),
    empty,
    h('p', { class: 'more' }, older),
  );
}
