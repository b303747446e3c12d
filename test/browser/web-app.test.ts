import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';
import { join } from 'node:path';
import { REPO_ROOT, startLocalStack, type LocalStack } from '../../local/stack.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { createApiClient, type ApiClient } from '../../client/api-client.ts';
import type { SubmitBody } from '../../client/types.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';
import { until } from '../support/until.ts';
import { serveBuiltWeb, startFakeCognito, type FakeCognito, type Listening } from './support/fake-cognito.ts';
import { chromiumAvailable, launchChromium, screenshot, seriousViolations, switchableSockets, type LaunchedBrowser, type SocketSwitch } from './support/browser.ts';

// The web app in real headless Chromium against the whole local stack (production handlers, DynamoDB Local,
// fauxqs) on fresh ports: one stack and one browser for the file, a fresh browser context (own sessionStorage)
// per user. Every WebSocket of the page goes through a proxy the test can cut.
const run = chromiumAvailable();

/** Long enough to be seen running for several seconds on a loaded 2-core machine (~80M bar evaluations). */
// Long enough to still be running while a test acts on it, on a quiet machine too: two years of 1-minute bars x
// 5,000 combinations is about 1.1e9 bar evaluations, which the pro tier fans out in chunks (a daily-bar sweep under
// the fan-out threshold now finishes in a second or two, too fast to cut its socket mid-run).
const LONG_JOB: SubmitBody = {
  strategyId: 'sma-cross',
  params: { fast: { from: 1, to: 50, step: 1 }, slow: { from: 51, to: 150, step: 1 } },
  symbol: 'SYNTH-WEB',
  timeframe: '1m',
  startDate: '2023-01-01',
  endDate: '2024-12-31',
};

let stack: LocalStack;
let launched: LaunchedBrowser;
const contexts: BrowserContext[] = [];

const user = (label: string): string => `${label}-${randomBytes(3).toString('hex')}`;

interface Session {
  page: Page;
  sockets: SocketSwitch;
  api: ApiClient;
  userId: string;
}

/** Opens the app as a new user through a token link, as `npm run -s token -- --link` prints it. */
async function signIn(label: string, tier: 'free' | 'basic' | 'pro', admin = false): Promise<Session> {
  const userId = user(label);
  const token = await stack.token({ userId, tier, admin });
  const context = await launched.browser.newContext({ viewport: { width: 1400, height: 900 } });
  contexts.push(context);
  const sockets = await switchableSockets(context, stack.wsUrl);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${stack.httpUrl}/#token=${token}`);
  await page.getByRole('definition').filter({ hasText: userId }).waitFor();
  expect(errors).toEqual([]);
  return { page, sockets, userId, api: createApiClient({ baseUrl: stack.httpUrl, token }) };
}

const barOf = (page: Page, jobId: string) => page.locator(`tr[data-job-id="${jobId}"] [role="progressbar"]`);
async function valueOf(page: Page, jobId: string): Promise<number> {
  return Number(await barOf(page, jobId).getAttribute('aria-valuenow'));
}

async function expectAccessible(page: Page, view: string): Promise<void> {
  const violations = await seriousViolations(page);
  expect(violations, `${view}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

beforeAll(async () => {
  if (!run) return;
  [stack, launched] = await Promise.all([
    startLocalStack({
      httpPort: 0,
      wsPort: 0,
      emulators: emulatorEndpoints(),
      prefix: freshPrefix('web'),
      web: true,
      // The example data a fresh clone has, so the symbol picker lists real symbols.
      dataDir: join(REPO_ROOT, 'examples', 'data'),
      // One worker thread per tier keeps the machine free for the browser; basic concurrency 2 makes a queue.
      concurrency: { basic: 2, pro: 2 },
      workerThreads: { free: 1, basic: 1, pro: 1 },
      extraEnv: { LOG_LEVEL: 'ERROR' },
      log: errorsOnlyLogger,
    }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
  await launched?.close();
  await stack?.stop();
});

// A loaded 2-core machine runs the backtests behind these pages slowly: each test waits on events, with room to do so.
const SLOW = { timeout: 90_000 };

describe.runIf(run)('the web app', SLOW, () => {
  it('serves a page whose first-load JavaScript is under 300 KB gzipped, and config.json without auth', async () => {
    const html = await (await fetch(`${stack.httpUrl}/`)).text();
    const scripts = [...html.matchAll(/src="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
    expect(scripts.length).toBe(1);
    let gzipped = 0;
    for (const path of scripts) gzipped += gzipSync(Buffer.from(await (await fetch(`${stack.httpUrl}/${path}`)).arrayBuffer())).length;
    console.log(`web: first-load JS ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThan(300 * 1024);
    const config = await (await fetch(`${stack.httpUrl}/config.json`)).json();
    expect(config).toEqual({ apiUrl: stack.httpUrl, wsUrl: stack.wsUrl, auth: { type: 'token-link' } });
    // API routes keep priority over the page's files; nothing else on disk is reachable.
    expect((await fetch(`${stack.httpUrl}/backtests`)).status).toBe(401);
    expect((await fetch(`${stack.httpUrl}/assets/../package.json`)).status).toBe(404);
    expect((await fetch(`${stack.httpUrl}/assets/nope.js`)).status).toBe(404);
    // Hashed assets may be cached for ever; the page and its config never.
    expect((await fetch(`${stack.httpUrl}/${scripts[0]}`)).headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${stack.httpUrl}/`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('signs in through a token link, removes the token from the address bar and shows the account', async () => {
    const { page, userId } = await signIn('link', 'pro');
    expect(page.url()).toBe(`${stack.httpUrl}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('backtest.token'))).toMatch(/^ey/);
    await expect.poll(() => page.locator('.account').textContent()).toContain('pro');
    await expect.poll(() => page.locator('#socket-state').textContent()).toBe('Live');
    await page.getByLabel('Strategy').waitFor();
    await screenshot(page, 'web-home');
    await expectAccessible(page, 'home');
    // A reload keeps the session (sessionStorage), with no token in the URL.
    await page.reload();
    await page.getByRole('definition').filter({ hasText: userId }).waitFor();
  });

  it('shows an expired token as "Your session expired" with a way to sign in again', { timeout: 180_000 }, async () => {
    const expired = await stack.token({ userId: user('old'), tier: 'free', extraClaims: { exp: Math.floor(Date.now() / 1000) - 60 } });
    const context = await launched.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${stack.httpUrl}/#token=${expired}`);
    await page.getByRole('heading', { name: 'Your session expired' }).waitFor();
    expect(await page.locator('.signed-out').textContent()).toContain('npm run -s token -- --user alice --tier pro --link');
    await expectAccessible(page, 'expired');

    // A token that runs out while the page is open ends the session at its expiry. The page must open signed in
    // first: on a loaded machine opening it can take longer than a short token lives (it then opens signed out, with
    // nothing to end), so the lifetime doubles until the page opened signed in.
    for (let ttlSeconds = 4; ; ttlSeconds *= 2) {
      const short = await stack.token({ userId: user('short'), tier: 'free', ttlSeconds });
      const later = await context.newPage();
      await later.goto(`${stack.httpUrl}/#token=${short}`);
      const submit = later.getByRole('button', { name: 'Submit backtest' });
      const expiredHeading = later.getByRole('heading', { name: 'Your session expired' });
      await submit.or(expiredHeading).first().waitFor();
      if (await submit.isVisible()) {
        await expiredHeading.waitFor({ timeout: ttlSeconds * 1000 + 30_000 });
        expect(await later.evaluate(() => sessionStorage.getItem('backtest.token'))).toBeNull();
        break;
      }
      expect(ttlSeconds, 'the page never opened before its token expired').toBeLessThan(32);
      await later.close();
    }
  });

  it('shows a bad field beside the field and in the error summary, and submits nothing', async () => {
    const { page, api } = await signIn('bad', 'basic');
    await page.getByLabel('Strategy').waitFor();
    await page.getByLabel('Start date').fill('2020-01-01');
    await page.getByLabel('End date').fill('2010-01-01');
    await page.getByRole('button', { name: 'Submit backtest' }).click();
    const beside = page.locator('#startDate-error');
    await beside.waitFor();
    expect(await beside.textContent()).toContain('must not be after endDate');
    expect(await page.getByLabel('Start date').getAttribute('aria-invalid')).toBe('true');
    const summary = page.locator('.error-summary');
    expect(await summary.getByRole('link').first().textContent()).toContain('Start date');
    // The summary's link takes the keyboard to the field.
    await summary.getByRole('link').first().click();
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe('startDate');

    // An unknown symbol is refused by the API, beside the symbol field, naming what exists.
    await page.getByLabel('End date').fill('2020-12-31');
    await page.getByLabel('Symbol').fill('NOPE');
    await page.getByRole('button', { name: 'Submit backtest' }).click();
    await expect.poll(() => page.locator('#symbol-error').textContent()).toContain('unknown symbol NOPE');
    expect(await page.locator('#startDate-error').isHidden()).toBe(true);

    // A parameter typed wrong is caught before sending, beside its own field.
    await page.getByLabel('End date').fill('2020-12-31');
    await page.getByLabel('fast: value, list or range').selectOption('list');
    await page.getByLabel('fast values, comma separated').fill('5, ten');
    await page.getByRole('button', { name: 'Submit backtest' }).click();
    await expect.poll(() => page.locator('.field.param.has-error').textContent()).toContain('numbers separated by commas');
    // A position size out of range is caught before sending, beside the size.
    await page.getByLabel('fast: value, list or range').selectOption('value');
    await page.getByLabel('Position sizing').selectOption('fraction');
    await page.getByLabel('Position size', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Submit backtest' }).click();
    await expect.poll(() => page.locator('#sizingValue-error').textContent()).toContain('must be above 0 and at most 1');
    expect(await page.getByLabel('Position size', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'web-field-error');
    await expectAccessible(page, 'form with errors');
    expect((await api.listJobs()).items).toEqual([]);
  });

  it('says when a submission limit resets, and shows the submissions left', async () => {
    const { page, api } = await signIn('free', 'free');
    for (let i = 0; i < 3; i++) await api.submit({ strategyId: 'buy-and-hold', symbol: 'SYNTH-FREE', timeframe: '1d', startDate: '2020-01-01', endDate: '2020-03-31' });
    await page.getByLabel('Strategy').waitFor();
    await page.getByRole('button', { name: 'Submit backtest' }).click();
    const summary = page.locator('.error-summary');
    // The daily limit, or the short-term burst limit when the three went in within seconds: either way a 429 whose
    // reset time is shown as UTC, and nothing is submitted.
    await expect.poll(() => summary.textContent()).toMatch(/limit resets at \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \(UTC\)/);
    await expect.poll(() => page.locator('.account').textContent()).toContain('0 of 3');
    expect(await page.locator('.account').textContent()).toContain('Credits7');
    expect((await api.listJobs()).items.length).toBe(3);
  });

  it('submits a sweep from the form, its bar reaches 100 %, and the result shows the equity chart, heatmap and stats', async () => {
    const { page, api } = await signIn('sweep', 'pro');
    await page.getByLabel('Strategy').waitFor();
    await expect.poll(() => page.locator('#combinations').textContent()).toContain('16 combinations');
    // Real prices from the picker: choosing ORCL brings the dates inside its data.
    await expect.poll(() => page.locator('datalist option[value="ORCL"]').count()).toBe(1);
    await page.getByLabel('Symbol').fill('ORCL');
    await expect.poll(() => page.locator('#symbol-hint').textContent()).toMatch(/^1d: \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}, [\d,]+ bars$/);
    await page.getByRole('button', { name: 'Submit backtest' }).click();
    await expect.poll(async () => (await api.listJobs()).items.length).toBe(1);
    const jobId = (await api.listJobs()).items[0].jobId;
    await expect.poll(() => valueOf(page, jobId), { timeout: 30_000 }).toBe(100);
    // 100 % can arrive a moment before the stored result turns the job succeeded.
    await expect.poll(() => page.locator(`tr[data-job-id="${jobId}"] td.status`).textContent(), { timeout: 10_000 }).toBe('succeeded');
    // The live region announces the completion.
    await expect.poll(() => page.locator('#announcer').textContent()).toContain('succeeded');

    // Keyboard: the row's name is a link.
    await page.locator(`tr[data-job-id="${jobId}"] a.job-link`).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('figure', { name: 'Equity curve' }).locator('canvas').first().waitFor();
    await page.getByRole('figure', { name: 'Drawdown' }).waitFor();
    const heat = page.getByRole('figure', { name: /Heatmap of sharpe over fast \(rows\) and slow \(columns\)/ });
    await heat.waitFor();
    expect(await heat.getByRole('button').count()).toBe(16);
    const stats = page.getByRole('table', { name: /Statistics/ });
    expect(await stats.getByRole('row', { name: /Sharpe ratio/ }).count()).toBe(1);
    await page.getByRole('table', { name: /Trades, page 1/ }).waitFor();
    // The chart's data is there as a table too.
    await page.getByText('Equity curve: data as a table').click();
    const equityTable = page.getByRole('table', { name: 'Equity curve' });
    await equityTable.waitFor();
    expect(await equityTable.getByRole('row').count()).toBeGreaterThan(100);
    await screenshot(page, 'web-result');
    await expectAccessible(page, 'result');

    // Choosing a cell runs that combination as its own backtest and opens it; choosing it again opens the same job.
    // Keyboard: one tab stop in the grid, arrows move, Enter chooses.
    await heat.getByRole('button').first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document.activeElement?.getAttribute('aria-label'))).toMatch(/^fast 10, slow 40: sharpe/);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => /#\/jobs\//.test(url.hash) && !url.hash.includes(jobId));
    const single = decodeURIComponent(new URL(page.url()).hash.replace('#/jobs/', ''));
    const view = await api.getJob(single);
    expect(view.request.params).toEqual({ fast: 10, slow: 40, allowShort: false });
    expect(view.combinations).toBe(1);
    await page.getByRole('figure', { name: 'Equity curve' }).waitFor({ timeout: 30_000 });
    await page.goBack();
    await heat.getByRole('button', { name: /^fast 10, slow 40:/ }).click();
    await page.waitForURL((url) => url.hash === `#/jobs/${encodeURIComponent(single)}`);
    expect((await api.listJobs()).items.length).toBe(2);
  });

  it('opens a job by its address and pages through its trades', async () => {
    const { page, api } = await signIn('trades', 'pro');
    // fast 1 (the price) crossing a short SMA trades often: well over one page of trades.
    const { jobId } = await api.submit({ strategyId: 'sma-cross', params: { fast: 1, slow: 5 }, symbol: 'SYNTH-TRADES', timeframe: '1d', startDate: '2015-01-01', endDate: '2020-12-31' });
    await page.goto(`${stack.httpUrl}/#/jobs/${jobId}`);
    await page.getByRole('table', { name: 'Trades, page 1' }).waitFor({ timeout: 30_000 });
    const first = await page.getByRole('table', { name: 'Trades, page 1' }).getByRole('row').nth(1).textContent();
    await page.getByRole('button', { name: 'Next' }).click();
    const second = page.getByRole('table', { name: 'Trades, page 2' });
    await second.waitFor();
    expect(await second.getByRole('row').nth(1).textContent()).toMatch(/^26/);
    expect(await second.getByRole('row').nth(1).textContent()).not.toBe(first);
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByRole('table', { name: 'Trades, page 1' }).waitFor();
    // Another user's job (or none) is "No such backtest", not someone else's data.
    await page.goto(`${stack.httpUrl}/#/jobs/00000000-0000-4000-8000-000000000000`);
    await page.getByText('No such backtest').waitFor();
  });

  it('cancels a running job from the list, and jobs submitted elsewhere appear by themselves', async () => {
    const { page, api } = await signIn('cancel', 'pro');
    // Submitted over the API (as the CLI would): the list finds it within its 3 s poll.
    const { jobId } = await api.submit(LONG_JOB);
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => valueOf(page, jobId), { timeout: 30_000 }).toBeGreaterThan(0);
    await row.getByRole('button', { name: /^Cancel/ }).click();
    await expect.poll(() => row.locator('td.status').textContent(), { timeout: 30_000 }).toBe('cancelled');
    expect((await api.getJob(jobId)).status).toBe('cancelled');
    await screenshot(page, 'web-cancelled');
    // A click anywhere on the row opens the job.
    await row.locator('td.status').click();
    await page.waitForURL((url) => url.hash === `#/jobs/${jobId}`);
    await page.getByText('The backtest was cancelled; its credit was refunded.').waitFor();
  });

  it('goes on by polling when the socket is cut, and subscribes again when it returns', async () => {
    const { page, api, sockets } = await signIn('cut', 'pro');
    await expect.poll(() => page.locator('#socket-state').textContent()).toBe('Live');
    const { jobId } = await api.submit(LONG_JOB);
    await page.locator(`tr[data-job-id="${jobId}"]`).waitFor({ timeout: 10_000 });
    await expect.poll(() => valueOf(page, jobId), { timeout: 30_000 }).toBeGreaterThan(0);

    const openedBefore = sockets.opened;
    sockets.cut();
    await expect.poll(() => page.locator('#socket-state').textContent()).toContain('Polling');
    const atCut = await valueOf(page, jobId);
    // The bar keeps moving with no socket at all (refused connections are never opened through the proxy).
    await expect.poll(() => valueOf(page, jobId), { timeout: 30_000 }).toBeGreaterThan(atCut);
    expect(sockets.opened).toBe(openedBefore);
    expect(await page.locator('#socket-state').textContent()).toContain('Polling');
    await screenshot(page, 'web-polling');

    // A second job, submitted while the socket is down: queued behind the first, so unfinished when the socket returns.
    const second = (await api.submit({ ...LONG_JOB, symbol: 'SYNTH-WEB2' })).jobId;
    await page.locator(`tr[data-job-id="${second}"]`).waitFor({ timeout: 10_000 });
    sockets.restore();
    await expect.poll(() => page.locator('#socket-state').textContent(), { timeout: 20_000 }).toBe('Live');
    expect(sockets.opened).toBe(openedBefore + 1);
    // Unfinished jobs are subscribed again on the new connection.
    const subscribe = JSON.stringify({ action: 'subscribe', jobId: second });
    await expect.poll(() => sockets.sent.some((m) => m.connection === sockets.opened && m.message === subscribe)).toBe(true);
    await Promise.all([jobId, second].map((id) => api.cancel(id).catch(() => undefined)));
  });

  it('shows the operator queue depths change, and looks up a user, grants credits and changes the tier', async () => {
    const { page } = await signIn('op', 'pro', true);
    await page.getByRole('link', { name: 'Operator' }).click();
    const waiting = page.locator('tr[data-tier="basic"] td[data-col="waiting"]');
    const inFlight = page.locator('tr[data-tier="basic"] td[data-col="inFlight"]');
    await expect.poll(() => waiting.textContent()).toBe('0');
    await page.getByRole('figure', { name: /Queue depth over the last minutes/ }).waitFor();
    await expectAccessible(page, 'operator');

    // Four long jobs on the basic tier (concurrency 2): some wait, then all drain (cancelled to keep the run short).
    const customer = createApiClient({ baseUrl: stack.httpUrl, token: await stack.token({ userId: user('load'), tier: 'basic', admin: false }) });
    // 1,000 combinations over the same bars: about 2.2e8 bar evaluations, fanned out in chunks on the basic queue.
    const basicJob = { ...LONG_JOB, params: { fast: { from: 1, to: 40, step: 1 }, slow: { from: 51, to: 150, step: 4 } } };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await customer.submit({ ...basicJob, symbol: `SYNTH-OP${i}` })).jobId);
    await expect.poll(async () => Number(await waiting.textContent()) + Number(await inFlight.textContent()), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    await screenshot(page, 'web-operator');
    for (const id of ids) await customer.cancel(id).catch(() => undefined);
    await expect.poll(async () => Number(await waiting.textContent()) + Number(await inFlight.textContent()), { timeout: 60_000 }).toBe(0);

    // The user panel.
    await page.getByLabel('User id').fill('someone-new');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.locator('.account-view').getByText('someone-new').waitFor();
    await page.getByLabel('Credits to add').fill('25');
    await page.getByRole('button', { name: 'Grant credits' }).click();
    await expect.poll(() => page.locator('.account-view').textContent()).toMatch(/Credits35/);
    await page.getByLabel('Tier', { exact: true }).selectOption('basic');
    await page.getByRole('button', { name: 'Change tier' }).click();
    await expect.poll(() => page.locator('.account-view').textContent()).toMatch(/Tierbasic/);
    await page.getByLabel('Credits to add').fill('1.5');
    await page.getByRole('button', { name: 'Grant credits' }).click();
    await expect.poll(() => page.locator('#admin-credits-error').textContent()).toContain('whole number');
    await expectAccessible(page, 'operator with user');
  });
});

describe.runIf(run)('sign-in with Cognito managed login (as deployed)', SLOW, () => {
  let cognito: FakeCognito;
  let site: Listening;
  let cognitoUser: string;

  beforeAll(async () => {
    cognitoUser = user('cog');
    cognito = await startFakeCognito({ issueIdToken: () => stack.token({ userId: cognitoUser, tier: 'basic' }) });
    site = await serveBuiltWeb((origin) => ({
      apiUrl: stack.httpUrl,
      wsUrl: stack.wsUrl,
      auth: { type: 'cognito', domain: cognito.url, clientId: cognito.clientId, redirectUri: `${origin}/`, scopes: ['openid', 'email'] },
    }));
  });
  afterAll(async () => {
    await site?.close();
    await cognito?.close();
  });

  it('signs in with the authorization code and PKCE, cleans the address bar and uses the ID token', async () => {
    const context = await launched.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${site.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('definition').filter({ hasText: cognitoUser }).waitFor();
    expect(cognito.exchanges).toBe(1);
    expect(page.url()).toBe(`${site.url}/`);
    await expect.poll(() => page.locator('.account').textContent()).toContain('basic');
    await expect.poll(() => page.locator('#socket-state').textContent()).toBe('Live');

    // A callback this tab did not start (state unknown) is refused without a token exchange.
    const other = await context.newPage();
    await other.goto(`${site.url}/?code=stolen&state=forged`);
    await other.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
    expect(cognito.exchanges).toBe(1);
    expect(other.url()).toBe(`${site.url}/`);
  });
});
