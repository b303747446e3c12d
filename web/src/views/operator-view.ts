/**
 * The operator view (admin claim): per tier waiting, in flight, DLQ depth and oldest age, read every 2 s, with a
 * chart of depth over the last minutes; and a user's account: look it up, grant credits, change the tier.
 */
import { ApiError } from '../../../client/api-client.ts';
import type { QueuesView, Tier, UserAccountView } from '../../../client/types.ts';
import { h, replace } from '../dom.ts';
import { duration, int, utc } from '../format.ts';
import { chartFigure, dataTable } from '../charts.ts';
import { FormErrors } from '../form-errors.ts';
import { announce } from '../live-region.ts';
import type { AppContext } from '../app-context.ts';

const POLL_MS = 2000;
/** Ten minutes of samples at one every 2 s. */
const KEEP = 300;
const TIER_COLOURS: Record<Tier, string> = { free: '#9aa7b4', basic: '#4aa3ff', pro: '#f2b84b' };

export function operatorView(ctx: AppContext, signal: AbortSignal): HTMLElement {
  const body = h('tbody');
  const updated = h('p', { class: 'hint', id: 'queues-updated' });
  const error = h('p', { class: 'inline-error', role: 'alert', hidden: true });
  const samples: QueuesView[] = [];
  const depth = chartFigure({
    caption: 'Queue depth over the last minutes (waiting + in flight)',
    height: 180,
    integer: true,
    seconds: true,
    table: () =>
      dataTable(
        'Queue depth samples, newest first',
        ['Time (UTC)', 'free', 'basic', 'pro'],
        [...samples].reverse().slice(0, 60).map((s) => [s.at.slice(11, 19), ...(['free', 'basic', 'pro'] as Tier[]).map((t) => { const x = s.tiers.find((y) => y.tier === t); return x === undefined ? '—' : int(x.waiting + x.inFlight); })]),
      ),
  });
  signal.addEventListener('abort', () => depth.dispose());

  const poll = async (): Promise<void> => {
    try {
      const view = await ctx.api.adminQueues();
      if (signal.aborted) return;
      error.hidden = true;
      samples.push(view);
      if (samples.length > KEEP) samples.shift();
      replace(
        body,
        view.tiers.map((t) =>
          h('tr', { 'data-tier': t.tier },
            h('th', { scope: 'row' }, t.tier),
            h('td', { class: 'num', 'data-col': 'waiting' }, int(t.waiting)),
            h('td', { class: 'num', 'data-col': 'inFlight' }, int(t.inFlight)),
            h('td', { class: `num${t.deadLettered > 0 ? ' neg' : ''}`, 'data-col': 'deadLettered' }, int(t.deadLettered)),
            h('td', { class: 'num', 'data-col': 'oldest' }, t.oldestQueuedAgeSeconds === null ? '—' : duration(t.oldestQueuedAgeSeconds)),
            h('td', { class: 'num' }, int(t.maxConcurrency)),
          ),
        ),
      );
      updated.textContent = `Updated ${utc(view.at)}, every ${POLL_MS / 1000} s`;
      depth.setData(
        (['free', 'basic', 'pro'] as Tier[]).map((tier) => ({
          name: tier,
          color: TIER_COLOURS[tier],
          points: samples.map((s) => {
            const t = s.tiers.find((x) => x.tier === tier);
            return { time: Date.parse(s.at), value: t === undefined ? 0 : t.waiting + t.inFlight };
          }),
        })),
      );
    } catch (e) {
      error.hidden = false;
      error.textContent = e instanceof ApiError && e.status === 403 ? 'Only operators (the admin claim) can read the queues.' : `The queues could not be read: ${ctx.describeError(e)}`;
    }
  };
  void poll();
  const timer = window.setInterval(() => void poll(), POLL_MS);
  signal.addEventListener('abort', () => window.clearInterval(timer));

  const queues = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'queues-title' },
    h('h2', { id: 'queues-title' }, 'Queues'),
    error,
    h('table', { class: 'data queues' },
      h('caption', {}, 'Jobs per tier'),
      h('thead', {}, h('tr', {}, ['Tier', 'Waiting', 'In flight', 'Dead-lettered', 'Oldest waiting', 'Concurrency'].map((c) => h('th', { scope: 'col' }, c)))),
      body,
    ),
    updated,
    depth.figure,
  );

  return h('div', { class: 'operator' }, queues, userPanel(ctx));
}

function userPanel(ctx: AppContext): HTMLElement {
  const errors = new FormErrors();
  const userId = h('input', { id: 'admin-user-id', type: 'text', autocomplete: 'off', spellcheck: 'false' }) as HTMLInputElement;
  const account = h('div', { class: 'account-view', 'aria-live': 'polite' });
  const amount = h('input', { id: 'admin-credits', type: 'number', step: '1', value: '10' }) as HTMLInputElement;
  const tier = h('select', { id: 'admin-tier' }, (['free', 'basic', 'pro'] as Tier[]).map((t) => h('option', { value: t }, t))) as HTMLSelectElement;
  const userError = errors.field('userId', 'User id', 'admin-user-id', () => [userId]);
  const amountError = errors.field('amount', 'Credits', 'admin-credits', () => [amount]);
  const tierError = errors.field('tier', 'Tier', 'admin-tier', () => [tier]);
  const actions = h('div', { class: 'user-actions', hidden: true });
  let current: UserAccountView | undefined;

  const show = (view: UserAccountView): void => {
    current = view;
    tier.value = view.tier;
    const item = (term: string, value: string): HTMLElement[] => [h('dt', {}, term), h('dd', {}, value)];
    replace(
      account,
      h('dl', { class: 'meta' },
        item('User', view.userId),
        item('Tier', view.tier),
        item('Credits', int(view.credits)),
        item('Today', `${int(view.submissionsToday)} submitted${view.dailyLimit !== null ? ` of ${int(view.dailyLimit)}` : ''} (${view.day})`),
        item('Account', view.hasAccount ? 'stored' : 'not yet stored (defaults apply)'),
      ),
    );
    actions.hidden = false;
  };

  const failed = (error: unknown, path: string): void => {
    if (error instanceof ApiError && error.fieldErrors.length > 0) errors.show(error.fieldErrors);
    else errors.show([{ path, message: error instanceof ApiError ? error.problem.detail || error.problem.title : ctx.describeError(error) }]);
  };

  const lookup = async (): Promise<void> => {
    errors.clear();
    const id = userId.value.trim();
    if (id === '') {
      errors.show([{ path: 'userId', message: 'enter a user id' }]);
      return;
    }
    try {
      show(await ctx.api.adminUser(id));
    } catch (error) {
      failed(error, 'userId');
    }
  };

  const grant = async (): Promise<void> => {
    if (current === undefined) return;
    errors.clear();
    const n = Number(amount.value);
    if (amount.value.trim() === '' || !Number.isInteger(n)) {
      errors.show([{ path: 'amount', message: 'must be a whole number (negative takes credits away)' }]);
      return;
    }
    try {
      const r = await ctx.api.adminCredits(current.userId, n);
      announce(`${r.userId} now has ${r.credits} credits.`);
      show(await ctx.api.adminUser(current.userId));
    } catch (error) {
      failed(error, 'amount');
    }
  };

  const changeTier = async (): Promise<void> => {
    if (current === undefined) return;
    errors.clear();
    try {
      const r = await ctx.api.adminTier(current.userId, tier.value as Tier);
      announce(`${r.userId} is now on the ${r.tier} tier (was ${r.previousTier}).`);
      show(await ctx.api.adminUser(current.userId));
    } catch (error) {
      failed(error, 'tier');
    }
  };

  const form = (label: string, onSubmit: () => Promise<void>, ...children: HTMLElement[]): HTMLFormElement =>
    h('form', { class: 'inline-form', 'aria-label': label, novalidate: true, onsubmit: (e: Event) => { e.preventDefault(); void onSubmit(); } }, ...children) as HTMLFormElement;

  actions.append(
    form('Grant credits', grant, h('div', { class: 'field' }, h('label', { for: 'admin-credits' }, 'Credits to add'), amount, amountError), h('button', { type: 'submit' }, 'Grant credits')),
    form('Change tier', changeTier, h('div', { class: 'field' }, h('label', { for: 'admin-tier' }, 'Tier'), tier, tierError), h('button', { type: 'submit' }, 'Change tier')),
  );

  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'users-title' },
    h('h2', { id: 'users-title' }, 'User'),
    errors.summary,
    form('Look up a user', lookup, h('div', { class: 'field' }, h('label', { for: 'admin-user-id' }, 'User id'), userId, userError), h('button', { type: 'submit' }, 'Look up')),
    account,
    actions,
  );
}
