/** The top bar: who is signed in, tier, credits, submissions left today, the socket's state and navigation. */
import { h, replace } from '../dom.ts';
import { int, utc } from '../format.ts';
import type { AppContext } from '../app-context.ts';

export function headerView(ctx: AppContext, onSignOut: () => void): HTMLElement {
  const account = h('dl', { class: 'account', 'aria-label': 'Your account' });
  const socket = h('span', { class: 'socket', id: 'socket-state' });
  const nav = h('nav', { 'aria-label': 'Main' });

  const renderNav = (admin: boolean): void =>
    replace(
      nav,
      h('a', { href: '#/' }, 'Backtests'),
      h('a', { href: '#/leaderboard' }, 'Leaderboard'),
      admin ? h('a', { href: '#/operator' }, 'Operator') : null,
      h('button', { type: 'button', class: 'link', onclick: onSignOut }, 'Sign out'),
    );
  // Signing out never waits for GET /me; the nav is rebuilt only when the admin claim changes (focus stays put).
  let navAdmin = false;
  renderNav(navAdmin);
  const render = (): void => {
    const me = ctx.me();
    if (me === undefined) {
      replace(account);
      return;
    }
    const left = me.dailyLimit === null ? 'unlimited' : `${int(Math.max(0, me.dailyLimit - me.submissionsToday))} of ${int(me.dailyLimit)}`;
    const item = (term: string, value: string, title?: string): HTMLElement[] => [h('dt', {}, term), h('dd', title ? { title } : {}, value)];
    replace(
      account,
      item('User', me.userId),
      item('Tier', me.tier),
      item('Credits', `${int(me.credits)}`, `${int(me.creditsPerJob)} per job`),
      item('Left today', left, me.dailyLimit === null ? undefined : `resets ${utc(me.dailyResetAt)}`),
    );
    if (me.admin !== navAdmin) {
      navAdmin = me.admin;
      renderNav(navAdmin);
    }
  };
  const renderSocket = (): void => {
    const state = ctx.feed.socketState;
    socket.dataset.state = state;
    socket.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Polling (live updates down)';
    socket.title = state === 'down' ? 'The WebSocket is down: progress is read every 1.5 s until it reconnects' : 'Progress arrives over the WebSocket';
  };
  ctx.events.addEventListener('me', render);
  ctx.feed.addEventListener('socket', renderSocket);
  render();
  renderSocket();
  return h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/' }, 'Backtest'), account, socket, nav);
}
