import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoardsView, LeaderboardPage } from '../../client/leaderboard-types.ts';
import type { JobView } from '../../client/types.ts';
import { startCliHarness, user, type CliHarness } from './support/cli-harness.ts';

// `backtest leaderboard` and `backtest copy` as a user runs them, on the local stack and the example data.
let h: CliHarness;
beforeAll(async () => {
  h = await startCliHarness('cli-lb');
});
afterAll(async () => {
  await h?.stop();
});

const BOARD = 'orcl-1d-2011';

describe('backtest leaderboard / copy', () => {
  it('lists boards, publishes with --watch, ranks the board, copies the entry with --watch; --json is one document', async () => {
    const boards = await h.cli(['leaderboard', '--json']);
    expect(boards.code).toBe(0);
    expect((JSON.parse(boards.stdout) as BoardsView).boards.map((b) => b.id)).toContain(BOARD);
    const human = await h.cli(['leaderboard']);
    expect(human.stdout).toContain('2000-01-01..2010-12-31');

    const author = user('author');
    const submitted = await h.cli(['submit', '--strategy', 'sma-cross', '--param', 'fast=10', '--param', 'slow=30', '--symbol', 'ORCL', '--start', '2000-01-01', '--end', '2010-12-31', '--watch', '--json', '--user', author, '--tier', 'pro']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = (JSON.parse(submitted.stdout) as JobView).jobId;

    const bad = await h.cli(['leaderboard', 'publish', jobId, '--board', BOARD, '--name', 'admin', '--user', author, '--tier', 'pro']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/displayName: is reserved for the service/);

    const published = await h.cli(['leaderboard', 'publish', jobId, '--board', BOARD, '--name', 'CLI Author', '--watch', '--json', '--user', author, '--tier', 'pro']);
    expect(published.code, published.stderr).toBe(0);
    const oos = JSON.parse(published.stdout) as JobView;
    expect(oos.request.startDate).toBe('2011-01-01');

    // The entry lands when the recorder has seen the job succeed: wait for it by reading the board (no fixed sleep).
    let page: LeaderboardPage | undefined;
    for (let i = 0; i < 400 && !page?.items.length; i++) {
      page = JSON.parse((await h.cli(['leaderboard', BOARD, '--json'])).stdout) as LeaderboardPage;
    }
    expect(page!.items.map((e) => e.displayName)).toEqual(['CLI Author']);
    const table = await h.cli(['leaderboard', BOARD]);
    expect(table.stdout).toMatch(/CLI Author/);
    expect(table.stdout).toMatch(/OOS sharpe/);

    const copier = user('copier');
    const copied = await h.cli(['copy', BOARD, page!.items[0].entryId, '--watch', '--json', '--user', copier, '--tier', 'basic']);
    expect(copied.code, copied.stderr).toBe(0);
    const job = JSON.parse(copied.stdout) as JobView;
    expect(job.status).toBe('succeeded');
    expect(job.result!.stats).toEqual(page!.items[0].outOfSample.stats);

    const missing = await h.cli(['copy', BOARD, 'no-such-entry', '--user', copier]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/No entry no-such-entry/);
    const badMetric = await h.cli(['leaderboard', BOARD, '--metric', 'luck']);
    expect(badMetric.code).toBe(2);
  }, 240_000);
});
