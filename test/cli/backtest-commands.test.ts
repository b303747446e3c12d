import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/until.ts';
import { EXAMPLES, startCliHarness, user, type CliHarness, type Run } from './support/cli-harness.ts';

// The `backtest` commands other than submit/watch, as a user runs them against `npm start`
// (test/cli/support/cli-harness.ts): `--json` parses for every one, the human tables read right, `admin queues
// --watch` refreshes until Ctrl-C, and `run` needs no service.
let harness: CliHarness;
const cli = (args: string[], extra: Record<string, string> = {}): Promise<Run> => harness.cli(args, extra);
const start = (args: string[], extra: Record<string, string> = {}) => harness.start(args, extra);

beforeAll(async () => {
  harness = await startCliHarness('clicmd');
});

afterAll(async () => {
  await harness?.stop();
});

describe('--json for every command', () => {
  // Ten CLI processes (seven at once): 16 s in a loaded full run. The test timeouts of this file only bound a hang.
  it('list, status, me, strategies, symbols and the admin commands print parseable JSON', { timeout: 180_000 }, async () => {
    const owner = user('js');
    const env = { BACKTEST_USER: owner };
    const submitted = JSON.parse((await cli(['submit', '--strategy', 'buy-and-hold', '--symbol', 'YHOO', '--json'], env)).stdout);
    const [list, status, me, strategies, symbols, queues, account] = await Promise.all([
      cli(['list', '--json', '--limit', '5'], env),
      cli(['status', submitted.jobId, '--json'], env),
      cli(['me', '--json'], env),
      cli(['strategies', '--json'], env),
      cli(['symbols', '--json'], env),
      cli(['admin', 'queues', '--json'], env),
      cli(['admin', 'user', owner, '--json'], env),
    ]);
    // The writes after the reads, so the reads above see the user as it started.
    const credits = await cli(['admin', 'credits', owner, '5', '--json'], { BACKTEST_USER: user('op') });
    const tier = await cli(['admin', 'tier', owner, 'basic', '--json'], { BACKTEST_USER: user('op') });

    for (const run of [list, status, me, strategies, symbols, queues, account, credits, tier]) expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(list.stdout).items.map((j: { jobId: string }) => j.jobId)).toContain(submitted.jobId);
    expect(JSON.parse(status.stdout)).toMatchObject({ jobId: submitted.jobId, request: { symbol: 'YHOO' } });
    expect(JSON.parse(me.stdout)).toMatchObject({ userId: owner, tier: 'free', admin: false, dailyLimit: 3 });
    const sma = JSON.parse(strategies.stdout).items.find((s: { id: string }) => s.id === 'sma-cross');
    expect(sma.parameters.properties.fast).toMatchObject({ type: 'integer', default: 10 });
    expect(JSON.parse(symbols.stdout).items.map((s: { symbol: string }) => s.symbol)).toEqual(expect.arrayContaining(['ORCL', 'NVDA', 'YHOO', 'EURUSD']));
    expect(JSON.parse(queues.stdout).tiers.map((t: { tier: string }) => t.tier)).toEqual(['free', 'basic', 'pro']);
    expect(JSON.parse(account.stdout)).toMatchObject({ userId: owner, tier: 'free' });
    expect(JSON.parse(credits.stdout)).toMatchObject({ userId: owner, amount: 5 });
    expect(JSON.parse(tier.stdout)).toMatchObject({ userId: owner, tier: 'basic', previousTier: 'free' });
    // The next local token for that user carries the tier the admin set.
    expect((await cli(['me', '--json'], env)).stdout).toContain('"tier":"basic"');
  });

  it('human output: list is a table, strategies show defaults and bounds, admin queues a table per tier', { timeout: 90_000 }, async () => {
    const env = { BACKTEST_USER: user('human') };
    const [strategies, queues, me] = await Promise.all([cli(['strategies'], env), cli(['admin', 'queues'], env), cli(['me'], env)]);

    expect(strategies.stdout).toMatch(/^ {2}fast +integer +10 +1\.\.\d+ +fast SMA period/m);
    expect(queues.stdout).toMatch(/^tier +waiting +in flight +DLQ +oldest +concurrency$/m);
    expect(queues.stdout).toMatch(/^pro +\d+ +\d+ +\d+ +\S+( s)? +\d+$/m);
    expect(me.stdout).toMatch(/^today +0 of 3 submissions today \(resets \d{4}-\d{2}-\d{2}T00:00:00/m);
  });
});

describe('backtest admin queues --watch', () => {
  it('refreshes until Ctrl-C: one JSON document per refresh with --json, exit 0', { timeout: 90_000 }, async () => {
    const watching = start(['admin', 'queues', '--watch', '--interval', '0.5', '--json'], { BACKTEST_USER: user('ops') });
    await until(() => watching.stdout().split('\n').filter(Boolean).length >= 3, 60_000, 'three refreshes');
    watching.child.kill('SIGINT');
    const run = await watching.done;

    expect(run.code).toBe(0);
    const views = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    expect(views.length).toBeGreaterThanOrEqual(3);
    for (const view of views) expect(view.tiers.map((t: { tier: string }) => t.tier)).toEqual(['free', 'basic', 'pro']);
    expect(new Set(views.map((v) => v.at)).size).toBe(views.length);
  });
});

describe('a reader that closes the pipe early (| head)', () => {
  it('ends the CLI quietly with exit 0, no EPIPE stack trace', { timeout: 90_000 }, async () => {
    // The refreshes keep writing, so the write after the reader left meets a closed pipe.
    const running = start(['admin', 'queues', '--watch', '--interval', '0.5'], { BACKTEST_USER: user('head') });
    running.child.stdout!.once('data', () => running.child.stdout!.destroy());
    const run = await running.done;
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('EPIPE');
  });
});

describe('backtest run', () => {
  it('runs the engine locally on the example data, with the engine CLI\'s --json output', async () => {
    const run = await cli(['run', '--symbol', 'ORCL', '--strategy', 'sma-cross', '--param', 'fast=10', '--param', 'slow=30', '--start', '2004-01-01', '--end', '2013-12-31', '--json'], { DATA_DIR: EXAMPLES });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.stats).toMatchObject({ bars: 2517, start: '2004-01-02T00:00:00.000Z' });
    expect(out.trades.length).toBe(out.stats.trades);
  });

  it('an unknown local symbol is one sentence and exit 2', async () => {
    const run = await cli(['run', '--symbol', 'NOPE', '--strategy', 'buy-and-hold'], { DATA_DIR: EXAMPLES });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^backtest: No market data for NOPE 1d: .*NOPE-1d\.csv does not exist/);
  });
});
