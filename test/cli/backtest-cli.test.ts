import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { LocalStack } from '../../local/stack.ts';
import { tempDir } from '../support/temp-dir.ts';
import { until } from '../support/until.ts';
import { ApiClient } from '../e2e/support/clients.ts';
import { CANCELLABLE_SWEEP } from '../e2e/support/requests.ts';
import { closedPort, startCliHarness, user, type CliHarness, type Run } from './support/cli-harness.ts';

// `backtest submit --watch` / `watch` / `cancel` and every error case, as a user runs them against `npm start`
// (test/cli/support/cli-harness.ts). The other commands' output: backtest-commands.test.ts.
let harness: CliHarness;
let stack: LocalStack;
const cli = (args: string[], extra: Record<string, string> = {}): Promise<Run> => harness.cli(args, extra);
const start = (args: string[], extra: Record<string, string> = {}) => harness.start(args, extra);

const SWEEP_FLAGS = ['--strategy', 'sma-cross', '--param', 'fast=5:20:5', '--param', 'slow=30:60:10', '--symbol', 'ORCL', '--start', '2004-01-01', '--end', '2013-12-31'];

beforeAll(async () => {
  harness = await startCliHarness('cli');
  stack = harness.stack;
});

afterAll(async () => {
  await harness?.stop();
});

describe('backtest submit --watch', () => {
  it('finds the local stack, prints progress lines (no bar: stdout is not a terminal), then the stats and best parameters', { timeout: 60_000 }, async () => {
    const alice = user('alice');
    const run = await cli(['submit', ...SWEEP_FLAGS, '--watch'], { BACKTEST_USER: alice });

    expect(run.stderr).toContain(`using the local stack (npm start, pid ${process.pid}) at ${stack.httpUrl}, signed in as ${alice} (free)`);
    expect(run.code).toBe(0);
    const jobId = /submitted job (\S+) \(free queue, 16 combinations\)/.exec(run.stdout)?.[1];
    expect(jobId).toBeDefined();
    // Progress arrives as plain lines, one per change, ending at 100 %. A 16-combination job can finish before the
    // watcher's subscription (3 of 12 runs in a loop on this machine): then its terminal snapshot is the only line, so
    // the form of every line is checked here and the running lines of a long job in the tests below.
    const progress = run.stdout.split('\n').filter((line) => /^\d\d:\d\d:\d\d /.test(line));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const line of progress) expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${jobId} (queued|running|succeeded) +\\d+%  \\S`));
    expect(progress.at(-1)).toMatch(new RegExp(`${jobId} succeeded +100%`));
    expect(run.stdout).not.toMatch(/\x1b\[/);
    expect(run.stdout).toMatch(/best parameters: fast=\d+ slow=\d+/);
    expect(run.stdout).toMatch(/^sharpe +-?\d+\.\d{3}$/m);
    expect(run.stdout).toMatch(/^returnPct +-?\d+\.\d{2}$/m);
    expect(run.stdout).toContain('sweep: 16 combinations, top 10 by sharpe');
    // What it printed is what the API stored.
    const job = (await new ApiClient(stack.httpUrl, await stack.token({ userId: alice })).get(jobId!)).body;
    expect(job.status).toBe('succeeded');
    expect(run.stdout).toContain(`best parameters: fast=${job.result.params.fast} slow=${job.result.params.slow}`);

    // The same job, as a person reads it afterwards.
    const [list, status] = await Promise.all([cli(['list'], { BACKTEST_USER: alice }), cli(['status', jobId!], { BACKTEST_USER: alice })]);
    expect(list.stdout).toMatch(/^job +status +progress +strategy +symbol +created +return%$/m);
    expect(list.stdout).toMatch(new RegExp(`^${jobId} +succeeded +100% +sma-cross +ORCL 1d +\\S+ +-?\\d+\\.\\d{2}$`, 'm'));
    expect(status.stdout).toMatch(/^status +succeeded +100% +Done$/m);
    expect(status.stdout).toMatch(/^request {3}sma-cross (fast=5:20:5 slow=30:60:10|slow=30:60:10 fast=5:20:5) on ORCL 1d 2004-01-01\.\.2013-12-31$/m);
    expect(status.stdout).toMatch(/^full result: equity \S+, trades \S+, sweep \S+$/m);
  });

  it('--json prints the final job as one parseable document and nothing else on stdout', { timeout: 90_000 }, async () => {
    const run = await cli(['submit', ...SWEEP_FLAGS, '--watch', '--json', '--tier', 'pro'], { BACKTEST_USER: user('json') });

    expect(run.code).toBe(0);
    const job = JSON.parse(run.stdout);
    expect(job).toMatchObject({ status: 'succeeded', tier: 'pro', progress: 1, combinations: 16 });
    expect(Object.keys(job.result.stats)).toContain('sharpe');
    expect(job.result.sweep.top.length).toBe(10);
  });

  it('follows the job by polling when the WebSocket cannot be reached, and says so on stderr', { timeout: 90_000 }, async () => {
    const port = await closedPort();
    const run = await cli(['submit', ...SWEEP_FLAGS, '--watch', '--tier', 'pro', '--ws', `ws://127.0.0.1:${port}`], { BACKTEST_USER: user('poll') });

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`the WebSocket at ws://127.0.0.1:${port} did not open`);
    expect(run.stderr).toMatch(/following job \S+ by polling GET \/backtests\/\S+ every 1 s/);
    expect(run.stdout).toMatch(/succeeded +100%/);
    expect(run.stdout).toMatch(/best parameters: fast=\d+ slow=\d+/);
  });

  it('goes on by polling when the socket drops mid-job, and says so on stderr', { timeout: 120_000 }, async () => {
    const owner = user('drop');
    const api = new ApiClient(stack.httpUrl, await stack.token({ userId: owner, tier: 'pro' }));
    const jobId = (await api.submit({ ...CANCELLABLE_SWEEP, symbol: 'SYNTH-DROP' })).body.jobId as string;
    const before = new Set(stack.connectionIds());
    const watching = start(['watch', jobId, '--tier', 'pro'], { BACKTEST_USER: owner });
    await until(() => new RegExp(`${jobId} running +\\d+%`).test(watching.stdout()), 60_000, 'the watcher shows the job running');

    // The server side hangs up, as API Gateway does on its idle or 2-hour limits (DELETE /@connections/{id}).
    const mine = stack.connectionIds().filter((id) => !before.has(id));
    expect(mine).toHaveLength(1);
    expect((await fetch(`${stack.managementEndpoint}/@connections/${encodeURIComponent(mine[0])}`, { method: 'DELETE' })).status).toBe(204);
    await until(() => watching.stderr().includes('polling'), 30_000, 'the watcher falls back to polling');
    // The job goes on to its end, seen by polling alone: cancel it so the test does not wait for the whole sweep.
    await api.call('DELETE', `/backtests/${jobId}`);
    const watched = await watching.done;

    expect(watched.stderr).toMatch(new RegExp(`the WebSocket closed \\(code \\d+\\); following job ${jobId} by polling GET /backtests/${jobId} every 1 s`));
    expect(watched.stdout).toMatch(/cancelled +\d+%/);
    expect(watched.code).toBe(1);
  });

  it('submits a --file job with flags on top, and an Idempotency-Key returns the same job', { timeout: 90_000 }, async () => {
    const env = { BACKTEST_USER: user('file') };
    const file = join(import.meta.dirname, '..', '..', 'examples', 'sma-sweep.json');
    const first = await cli(['submit', '--file', file, '--symbol', 'NVDA', '--tier', 'pro', '--idempotency-key', 'k-1', '--json'], env);
    const again = await cli(['submit', '--file', file, '--symbol', 'NVDA', '--tier', 'pro', '--idempotency-key', 'k-1', '--json'], env);

    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout);
    const b = JSON.parse(again.stdout);
    expect(b.jobId).toBe(a.jobId);
    expect(b.replayed).toBe(true);
    const status = JSON.parse((await cli(['status', a.jobId, '--json', '--tier', 'pro'], env)).stdout);
    expect(status.request).toMatchObject({ symbol: 'NVDA', strategyId: 'sma-cross', startDate: '2004-01-01' });
  });
});

describe('errors: one sentence on stderr, a non-zero exit, nothing on stdout', () => {
  it('an invalid field names the field (from the problem\'s errors), and an unknown symbol names what exists', async () => {
    const env = { BACKTEST_USER: user('bad') };
    const bad = await cli(['submit', '--strategy', 'sma-cross', '--symbol', 'ORCL', '--commission', '-1'], env);
    const unknown = await cli(['submit', '--strategy', 'sma-cross', '--symbol', 'NOPE'], env);

    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^backtest: The API refused the job: commission: .+\.$/m);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/backtest: The API refused the job: symbol: .*NOPE.*ORCL/);
    expect(bad.stdout + unknown.stdout).toBe('');
  });

  it('a bad flag is refused before anything is sent', async () => {
    const run = await cli(['submit', '--strategy', 'sma-cross', '--symbol', 'ORCL', '--param', 'fast=abc']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('backtest: --param fast: "abc" is not a number.');
    expect(run.stderr).not.toContain('using the local stack');

    const [tier, missing] = await Promise.all([cli(['me', '--tier', 'platinum']), cli(['status'])]);
    expect(tier.code).toBe(2);
    expect(tier.stderr).toContain("argument 'platinum' is invalid. Allowed choices are free, basic, pro.");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'jobId'");
  });

  it('the service unreachable names the URL', async () => {
    const port = await closedPort();
    const run = await cli(['me', '--api', `http://127.0.0.1:${port}`, '--token', 'x']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`backtest: Cannot reach the backtest API at http://127.0.0.1:${port}: is \`npm start\` running, or is --api / BACKTEST_API_URL right?\n`);
  });

  it('no running stack and no --api says how to get one', async () => {
    const run = await cli(['list'], { LOCAL_STACK_FILE: join(tempDir('cli-none-'), 'stack.json') });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('backtest: No API to talk to: no running `npm start` was found');
  });

  it('a refused token and an expired token (saying when) exit 4; a stack trace only with --debug', async () => {
    const expiredAt = Math.floor(Date.now() / 1000) - 120;
    const expired = await stack.token({ userId: user('old'), extraClaims: { exp: expiredAt } });
    const env = { BACKTEST_API_URL: stack.httpUrl };
    const refused = await cli(['me'], { ...env, BACKTEST_TOKEN: 'not-a-jwt' });
    const late = await cli(['me'], { ...env, BACKTEST_TOKEN: expired });
    const debug = await cli(['me', '--debug'], { ...env, BACKTEST_TOKEN: 'not-a-jwt' });

    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^backtest: The API refused the token.*--token or BACKTEST_TOKEN\.\n$/);
    expect(late.code).toBe(4);
    expect(late.stderr).toContain('expired');
    expect(late.stderr).toContain(new Date(expiredAt * 1000).toISOString().slice(0, 19));
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(debug.stderr).toMatch(/ApiError.*\n\s+at /);
  });

  it('a job that does not exist (or is not yours) exits 5', async () => {
    const run = await cli(['status', 'no-such-job']);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('backtest: Job no-such-job was not found (or is not yours).');
  });

  it('a job that fails exits 1 with its error', { timeout: 90_000 }, async () => {
    // 2010-01-02 and 03 are a weekend inside ORCL's data: accepted at submit, no bars to run on.
    const run = await cli(['submit', '--strategy', 'buy-and-hold', '--symbol', 'ORCL', '--start', '2010-01-02', '--end', '2010-01-03', '--watch', '--tier', 'pro'], { BACKTEST_USER: user('fail') });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/backtest: Job \S+ failed: No 1d bars for ORCL in the requested dates \(no_data\)\.\n$/);
  });

  // A fanned-out sweep (CANCELLABLE_SWEEP): LONG_SWEEP could finish before the spawned `backtest cancel` reached it.
  it('a job cancelled while watched exits 1; cancel says what it did', { timeout: 120_000 }, async () => {
    const owner = user('cancel');
    const api = new ApiClient(stack.httpUrl, await stack.token({ userId: owner, tier: 'pro' }));
    const jobId = (await api.submit(CANCELLABLE_SWEEP)).body.jobId as string;
    const env = { BACKTEST_USER: owner };

    const watching = start(['watch', jobId, '--tier', 'pro'], env);
    await until(() => new RegExp(`${jobId} running +\\d+%`).test(watching.stdout()), 60_000, 'the watcher shows the job running');
    const cancel = await cli(['cancel', jobId, '--tier', 'pro'], env);
    const watched = await watching.done;

    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`^job ${jobId}: cancel requested, the worker stops it at its next progress update \\(running \\d+%\\)\\n$`));
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/cancelled +\d+%/);
    expect(watched.stderr).toContain(`backtest: Job ${jobId} was cancelled.`);
    const again = await cli(['cancel', jobId, '--tier', 'pro'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Job ${jobId} already cancelled: there is nothing to cancel.`);
  });
});
