import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from '../../client/api-client.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { REPO_ROOT, startLocalStack, type LocalStack } from '../../local/stack.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';
import { until } from '../support/until.ts';
import { chromiumAvailable, launchChromium, screenshot, seriousViolations, switchableSockets, type LaunchedBrowser, type SocketSwitch } from './support/browser.ts';

// The leaderboard view in headless Chromium against the local stack: a published entry is listed in the board's
// table, and its Copy button opens the submit form filled in, which submits the caller's own job; with the board open,
// entries published by other users appear without a reload (the view watches the board over the app's WebSocket).
const run = chromiumAvailable();
const BOARD = 'orcl-1d-2011';
let stack: LocalStack;
let launched: LaunchedBrowser;
const contexts: BrowserContext[] = [];
const user = (label: string): string => `${label}-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  if (!run) return;
  [stack, launched] = await Promise.all([
    startLocalStack({
      httpPort: 0,
      wsPort: 0,
      emulators: emulatorEndpoints(),
      prefix: freshPrefix('web-lb'),
      web: true,
      dataDir: join(REPO_ROOT, 'examples', 'data'),
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

async function open(userId: string, hash: string, onContext?: (context: BrowserContext) => Promise<void>): Promise<Page> {
  const token = await stack.token({ userId, tier: 'pro' });
  const context = await launched.browser.newContext({ viewport: { width: 1400, height: 900 } });
  contexts.push(context);
  await onContext?.(context);
  const page = await context.newPage();
  await page.goto(`${stack.httpUrl}/#token=${token}`);
  await page.getByRole('definition').filter({ hasText: userId }).waitFor();
  await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
  return page;
}

/** Polls a job over HTTP until it is final: the page under test is not the thing being waited for here. */
async function finished(api: ApiClient, jobId: string): Promise<string> {
  let status = '';
  await until(async () => ['succeeded', 'failed', 'cancelled'].includes((status = (await api.getJob(jobId)).status)), 90_000, `job ${jobId} final`);
  return status;
}

describe.runIf(run)('the leaderboard view', { timeout: 180_000 }, () => {
  it('lists a published entry in an accessible table; Copy opens the submit form filled in, and submitting runs the copy', async () => {
    const author = user('author');
    const api = createApiClient({ baseUrl: stack.httpUrl, token: await stack.token({ userId: author, tier: 'pro' }) });
    // Costs and sizing other than the defaults: a copy that dropped any of them would not reproduce the entry's stats.
    const costs = { commission: 0.001, slippageBps: 5, sizing: { fraction: 0.5 }, fractional: true };
    const { jobId } = await api.submit({ strategyId: 'sma-cross', params: { fast: 20, slow: 60 }, symbol: 'ORCL', timeframe: '1d', startDate: '2000-01-01', endDate: '2010-12-31', ...costs });
    expect(await finished(api, jobId)).toBe('succeeded');
    const { outOfSampleJobId } = await api.publish(jobId, { board: BOARD, displayName: 'Web Author' });
    expect(await finished(api, outOfSampleJobId)).toBe('succeeded');
    await until(async () => (await api.leaderboard(BOARD)).items.length === 1, 30_000, 'the entry on the board');

    const copier = user('copier');
    const page = await open(copier, `#/leaderboard/${BOARD}`);
    const table = page.getByRole('table', { name: /ORCL 1d leaderboard/ });
    const row = table.getByRole('row', { name: /Web Author/ });
    await row.waitFor();
    // The name is the row header; the cells are rank, strategy, the out-of-sample stats, ...
    await expect(row.getByRole('cell').nth(1).textContent()).resolves.toMatch(/sma-cross \(fast 20, slow 60/);
    expect(await seriousViolations(page)).toEqual([]);

    await row.getByRole('button', { name: /Copy Web Author's sma-cross/ }).click();
    await page.getByText(/Filled in from Web Author on orcl-1d-2011/).waitFor();
    await expect(page.getByLabel('Symbol').inputValue()).resolves.toBe('ORCL');
    await expect(page.getByLabel('Start date').inputValue()).resolves.toBe('2011-01-01');
    await expect(page.getByLabel('End date').inputValue()).resolves.toBe('2014-12-31');
    await expect(page.getByLabel('Commission (fraction)').inputValue()).resolves.toBe('0.001');
    await expect(page.getByLabel('Slippage (basis points)').inputValue()).resolves.toBe('5');
    await expect(page.getByLabel('Position sizing').inputValue()).resolves.toBe('fraction');
    await expect(page.getByLabel('Position size', { exact: true }).inputValue()).resolves.toBe('0.5');
    await expect(page.getByLabel('Fractional units').isChecked()).resolves.toBe(true);
    await screenshot(page, 'leaderboard-copy-filled-in');
    await page.getByRole('button', { name: 'Submit backtest' }).click();
    await page.getByText(/^Submitted [0-9a-f]{8} \(1 combination\)/).waitFor();

    const mine = createApiClient({ baseUrl: stack.httpUrl, token: await stack.token({ userId: copier, tier: 'pro' }) });
    const [copied] = (await mine.listJobs()).items;
    expect(copied.request).toMatchObject({ strategyId: 'sma-cross', params: { fast: 20, slow: 60 }, symbol: 'ORCL', startDate: '2011-01-01', endDate: '2014-12-31', ...costs });
    expect(await finished(mine, copied.jobId)).toBe('succeeded');
    const entry = (await api.leaderboard(BOARD)).items[0];
    expect((await mine.getJob(copied.jobId)).result!.stats).toEqual(entry.outOfSample.stats);
  });
});

describe.runIf(run)('the leaderboard view, live', { timeout: 300_000 }, () => {
  // Its own board, so the entries here are the only ones whatever ran before.
  const LIVE_BOARD = 'nvda-1d-2011';

  /** Another user tunes on the board's in-sample window and publishes; resolves once the entry is stored. */
  async function publishAs(displayName: string, params: { fast: number; slow: number }): Promise<void> {
    const api = createApiClient({ baseUrl: stack.httpUrl, token: await stack.token({ userId: user('pub'), tier: 'pro' }) });
    const { jobId } = await api.submit({ strategyId: 'sma-cross', params, symbol: 'NVDA', timeframe: '1d', startDate: '2000-01-01', endDate: '2010-12-31' });
    expect(await finished(api, jobId)).toBe('succeeded');
    const { outOfSampleJobId } = await api.publish(jobId, { board: LIVE_BOARD, displayName });
    expect(await finished(api, outOfSampleJobId)).toBe('succeeded');
    await until(async () => (await api.leaderboard(LIVE_BOARD)).items.some((e) => e.displayName === displayName), 30_000, `${displayName} on the board`);
  }

  it('shows entries published by others without a reload, in rank order, announced; catches up after a dropped socket; stops watching on leaving', async () => {
    let sockets!: SocketSwitch;
    const page = await open(user('watcher'), `#/leaderboard/${LIVE_BOARD}`, async (context) => {
      sockets = await switchableSockets(context, stack.wsUrl);
    });
    const watch = JSON.stringify({ action: 'watchBoard', board: LIVE_BOARD });
    await expect.poll(() => sockets.sent.some((m) => m.message === watch), { timeout: 20_000 }).toBe(true);
    await page.getByText(/^No entries yet/).waitFor();
    // Survives only as long as the document does: a reload would drop it.
    await page.evaluate('window.sameDocument = true');
    const table = page.getByRole('table', { name: /NVDA 1d leaderboard/ });
    const names = async (): Promise<string[]> => table.locator('tbody th').allTextContents();
    const reader = createApiClient({ baseUrl: stack.httpUrl, token: await stack.token({ userId: user('reader'), tier: 'pro' }) });
    const ranked = async (): Promise<string[]> => (await reader.leaderboard(LIVE_BOARD)).items.map((e) => e.displayName);

    await publishAs('Live Alpha', { fast: 10, slow: 50 });
    await expect.poll(names, { timeout: 20_000 }).toEqual(['Live Alpha']);
    await expect.poll(() => page.locator('#announcer').textContent()).toBe(`New entry on ${LIVE_BOARD}: Live Alpha's sma-cross, rank 1.`);
    await expect(page.getByText(/^No entries yet/).isHidden()).resolves.toBe(true);

    await publishAs('Live Beta', { fast: 20, slow: 100 });
    await expect.poll(names, { timeout: 20_000 }).toHaveLength(2);
    // The page's order is the board's (by out-of-sample Sharpe, ties by publication), with ranks 1 and 2.
    expect(await names()).toEqual(await ranked());
    expect(await table.locator('tbody td:first-child').allTextContents()).toEqual(['1', '2']);
    const beta = (await ranked()).indexOf('Live Beta') + 1;
    await expect.poll(() => page.locator('#announcer').textContent()).toBe(`New entry on ${LIVE_BOARD}: Live Beta's sma-cross, rank ${beta}.`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'web-board-live');

    // The socket drops: the view says so, misses what is published meanwhile, and reads the board again when it is back.
    sockets.cut();
    await page.getByText(/^Live updates paused/).waitFor();
    await screenshot(page, 'web-board-paused');
    await publishAs('Live Gamma', { fast: 5, slow: 30 });
    expect(await names()).not.toContain('Live Gamma');
    sockets.restore();
    await expect.poll(names, { timeout: 30_000 }).toHaveLength(3);
    expect(await names()).toEqual(await ranked());
    await expect(page.getByText(/^Live updates paused/).count()).resolves.toBe(0);
    const opened = sockets.opened;
    await expect.poll(() => sockets.sent.some((m) => m.connection === opened && m.message === watch)).toBe(true);
    expect(await page.evaluate('window.sameDocument')).toBe(true);

    // Leaving the view stops the watch on the same socket.
    await page.evaluate(`window.location.hash = '#/'`);
    const unwatch = JSON.stringify({ action: 'unwatchBoard', board: LIVE_BOARD });
    await expect.poll(() => sockets.sent.some((m) => m.connection === opened && m.message === unwatch)).toBe(true);
  });

  it('says so when the server refuses to watch the board (the connection holds the most subscriptions one may)', async () => {
    // The page's socket goes to the real stack, except that its watch is answered as a full connection answers it
    // (lambdas/core/use-cases/board-watch.ts): 50 subscriptions on one connection are many tabs' worth of jobs.
    const refusal = 'This connection already watches 50 jobs and boards (the most one may)';
    const page = await open(user('refused'), `#/leaderboard/${LIVE_BOARD}`, async (context) => {
      const host = new URL(stack.wsUrl).host;
      await context.routeWebSocket(
        (url) => url.host === host,
        (ws) => {
          const server = ws.connectToServer();
          ws.onMessage((message) => {
            const sent = JSON.parse(String(message)) as { action?: string; board?: string };
            if (sent.action === 'watchBoard') ws.send(JSON.stringify({ type: 'error', code: 'too_many_subscriptions', board: sent.board, message: refusal }));
            else server.send(message);
          });
        },
      );
    });
    const note = page.getByRole('status').filter({ hasText: /^Live updates are off for this board/ });
    await note.waitFor();
    expect(await note.textContent()).toBe(
      'Live updates are off for this board. The server refused to watch it: this connection already watches 50 jobs and boards (the most one may). New entries show when you open the board again.',
    );
    await page.getByRole('table', { name: /NVDA 1d leaderboard/ }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'web-board-watch-refused');
  });
});
