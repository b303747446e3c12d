/**
 * Bootstrap: read config.json (runtime settings, not baked into the bundle), sign in (token link locally, Cognito
 * with PKCE on AWS), then mount the header and the view for the address's route: `#/` (submit form and jobs),
 * `#/jobs/<id>` (result), `#/leaderboard[/<board>]` or `#/operator`.
 */
import './styles.css';
import { ApiError, ApiUnreachableError, createApiClient } from '../../client/api-client.ts';
import type { MeView } from '../../client/types.ts';
import { ConfigError, parseWebConfig, type WebConfig } from './config.ts';
import { clearSession, isExpired, readSession, storeToken, type Session } from './auth/session.ts';
import { takeTokenFromFragment } from './auth/token-link.ts';
import { completeCognitoSignIn, SignInError, startCognitoSignIn } from './auth/cognito.ts';
import { JobFeed, type FeedJob } from './job-feed.ts';
import { h, replace } from './dom.ts';
import { announce, mountLiveRegion } from './live-region.ts';
import { utc } from './format.ts';
import type { AppContext } from './app-context.ts';
import { headerView } from './views/header-view.ts';
import { submitView } from './views/submit-view.ts';
import { jobsView, jobName } from './views/jobs-view.ts';
import { resultView } from './views/result-view.ts';
import { operatorView } from './views/operator-view.ts';
import { leaderboardView } from './views/leaderboard-view.ts';
import { signedOutView } from './views/signed-out-view.ts';

async function start(): Promise<void> {
  const root = document.getElementById('app')!;
  mountLiveRegion(document.body);
  let config: WebConfig;
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (!response.ok) throw new ConfigError(`config.json answered ${response.status}`);
    config = parseWebConfig(await response.json());
  } catch (error) {
    replace(root, h('p', { class: 'fatal', role: 'alert' }, `The page could not read its settings: ${error instanceof Error ? error.message : String(error)}.`));
    return;
  }

  const signIn = (): void => {
    if (config.auth.type === 'cognito') void startCognitoSignIn(config.auth);
  };
  const signedOut = (reason: 'signed-out' | 'expired' | 'error', detail?: string): void => {
    replace(root, signedOutView(config.auth, reason, detail, signIn));
    (root.querySelector('h1') as HTMLElement | null)?.focus();
  };

  let session: Session | undefined;
  const linked = config.auth.type === 'token-link' ? takeTokenFromFragment() : undefined;
  if (linked !== undefined) {
    session = storeToken(linked);
    if (session === undefined) return signedOut('error', 'The link does not hold a valid token. Ask for a new link.');
  }
  if (config.auth.type === 'cognito') {
    try {
      const idToken = await completeCognitoSignIn(config.auth);
      if (idToken !== undefined) session = storeToken(idToken);
    } catch (error) {
      return signedOut('error', error instanceof SignInError ? error.message : String(error));
    }
  }
  session ??= readSession();
  if (session === undefined) return signedOut('signed-out');
  if (isExpired(session)) {
    clearSession();
    return signedOut('expired', `The token expired at ${utc((session.claims.exp ?? 0) * 1000)}.`);
  }
  runApp(root, config, session, signedOut);
}

function runApp(root: HTMLElement, config: WebConfig, session: Session, signedOut: (reason: 'signed-out' | 'expired' | 'error', detail?: string) => void): void {
  let ended = false;
  const end = (reason: 'signed-out' | 'expired', detail?: string): void => {
    if (ended) return;
    ended = true;
    feed.stop();
    viewAbort?.abort();
    clearSession();
    signedOut(reason, detail);
  };
  const onUnauthorized = (error: ApiError): void => end('expired', error.problem.detail || undefined);
  const api = createApiClient({ baseUrl: config.apiUrl, token: () => session.token });
  const feed = new JobFeed({ api, wsUrl: config.wsUrl, token: () => session.token, onUnauthorized });
  const events = new EventTarget();
  let me: MeView | undefined;
  let viewAbort: AbortController | undefined;

  const describeError = (error: unknown): string => {
    if (error instanceof ApiError) {
      if (error.status === 401) onUnauthorized(error);
      return error.problem.detail || error.problem.title;
    }
    if (error instanceof ApiUnreachableError) return `the service cannot be reached at ${config.apiUrl}`;
    return error instanceof Error ? error.message : String(error);
  };
  const ctx: AppContext = {
    api,
    feed,
    events,
    me: () => me,
    async refreshMe() {
      try {
        me = await api.me();
        events.dispatchEvent(new Event('me'));
      } catch (error) {
        describeError(error);
      }
    },
    navigate(hash) {
      if (window.location.hash === hash) route();
      else window.location.hash = hash;
    },
    describeError,
  };

  const main = h('main', { id: 'main', tabindex: -1 });
  replace(root, h('a', { class: 'skip', href: '#main', onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, 'Skip to content'), headerView(ctx, () => end('signed-out')), main, footer());

  const route = (): void => {
    const hash = window.location.hash;
    // In-page anchors (the error summary's links) are not routes.
    if (hash !== '' && hash !== '#' && !hash.startsWith('#/')) return;
    viewAbort?.abort();
    viewAbort = new AbortController();
    const signal = viewAbort.signal;
    const job = /^#\/jobs\/([^/]+)$/.exec(hash);
    if (job !== null) {
      replace(main, resultView(ctx, signal, decodeURIComponent(job[1])));
      document.title = 'Backtest result';
    } else if (hash === '#/leaderboard' || hash.startsWith('#/leaderboard/')) {
      const board = hash.startsWith('#/leaderboard/') ? decodeURIComponent(hash.slice('#/leaderboard/'.length)) : undefined;
      replace(main, leaderboardView(ctx, signal, board));
      document.title = 'Leaderboard · Backtest';
    } else if (hash === '#/operator') {
      replace(main, operatorView(ctx, signal));
      document.title = 'Operator · Backtest';
    } else {
      replace(main, h('div', { class: 'home' }, submitView(ctx, signal), jobsView(ctx, signal)));
      document.title = 'Backtests';
    }
    // Moving focus to the new view's heading tells keyboard and screen-reader users the page changed.
    const heading = main.querySelector('h2');
    if (heading !== null) {
      heading.tabIndex = -1;
      heading.focus();
    }
  };
  window.addEventListener('hashchange', route);

  // Jobs submitted elsewhere (CLI, another tab) spend credits and submissions: read the account again when new ones appear.
  let known = -1;
  feed.addEventListener('change', (event) => {
    if ((event as CustomEvent<string | undefined>).detail !== undefined || feed.order.length === known) return;
    if (known !== -1) void ctx.refreshMe();
    known = feed.order.length;
  });
  feed.addEventListener('finished', (event) => {
    const job = (event as CustomEvent<FeedJob>).detail;
    announce(`${jobName(job)} ${job.status}.`);
    void ctx.refreshMe();
  });
  // The token's end: the session ends when it does, whatever the page is doing.
  if (session.claims.exp !== undefined) {
    const ms = session.claims.exp * 1000 - Date.now();
    if (ms < 2 ** 31) window.setTimeout(() => end('expired', `The token expired at ${utc(session.claims.exp! * 1000)}.`), ms);
  }
  feed.start();
  void ctx.refreshMe();
  route();
  window.setInterval(() => void ctx.refreshMe(), 30_000);
}

function footer(): HTMLElement {
  return h(
    'footer',
    {},
    'Charts by ',
    h('a', { href: 'https://www.tradingview.com/lightweight-charts/', rel: 'noopener' }, 'TradingView Lightweight Charts™'),
    ' · Times are UTC',
  );
}

void start();
