import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { stackFileOf, writeStackFile } from '../../local/stack-file.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';
import { tempDir } from '../support/temp-dir.ts';
import { until } from '../support/until.ts';
import { ApiClient } from '../e2e/support/clients.ts';
import { LONG_SWEEP } from '../e2e/support/requests.ts';

// The `backtest` CLI as a user runs it: a child process on the package's bin, finding the local stack through its
// stack file (a temp one, so a developer's `npm start` is never touched), stdout and stderr kept apart, exit codes.
// The stack runs in this process on fresh ports with the example data a fresh clone ships (examples/data).
const BIN = join(import.meta.dirname, '..', '..', 'cli', 'backtest.js');
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'data');

let stack: LocalStack;
let stackFile: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user with no BACKTEST_* settings of their own, pointed at this file's stack. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_STACK_FILE: stackFile, ...extra };
  for (const key of ['BACKTEST_API_URL', 'BACKTEST_WS_URL', 'BACKTEST_TOKEN', 'BACKTEST_USER']) if (!(key in extra)) delete env[key];
  return env;
}

function start(args: string[], extra: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: userEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

const cli = (args: string[], extra: Record<string, string> = {}): Promise<Run> => start(args, extra).done;
const user = (label: string): string => `${label}-${randomBytes(3).toString('hex')}`;

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const SWEEP_FLAGS = ['--strategy', 'sma-cross', '--param', 'fast=5:20:5', '--param', 'slow=30:60:10', '--symbol', 'ORCL', '--start', '2004-01-01', '--end', '2013-12-31'];

beforeAll(async () => {
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    emulators: emulatorEndpoints(),
    prefix: freshPrefix('cli'),
    dataDir: EXAMPLES,
    workerThreads: { free: 1, basic: 1, pro: 1 },
    extraEnv: { LOG_LEVEL: 'ERROR' },
    sweepIntervalMs: 0,
    log: errorsOnlyLogger,
  });
  stackFile = join(tempDir('cli-stack-'), 'stack.json');
  // This process is the "npm start" the CLI finds: the file names its pid, which is alive.
  writeStackFile(stackFileOf(stack), stackFile);
});

afterAll(async () => {
  await stack?.stop();
});

describe('backtest submit --watch', () => {
  it('finds the local stack, prints progress lines (no bar: stdout is not a terminal), then the stats and best parameters', { timeout: 60_000 }, async () => {
    const alice = user('alice');
    const run = await cli(['submit', ...SWEEP_FLAGS, '--watch'], { BACKTEST_USER: alice });

    expect(run.stderr).toContain(`using the local stack (npm start, pid ${process.pid}) at ${stack.httpUrl}, signed in as ${alice} (free)`);
    expect(run.code).toBe(0);
    const jobId = /submitted job (\S+) \(free queue, 16 combinations\)/.exec(run.stdout)?.[1];
    expect(jobId).toBeDefined();
    // Progress arrives as plain lines, one per change, ending at 100 %.
    expect(run.stdout).toMatch(new RegExp(`${jobId} running +\\d+%`));
    expect(run.stdout).toMatch(new RegExp(`${jobId} succeeded +100%`));
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

  it('--json prints the final job as one parseable document and nothing else on stdout', { timeout: 30_000 }, async () => {
    const run = await cli(['submit', ...SWEEP_FLAGS, '--watch', '--json', '--tier', 'pro'], { BACKTEST_USER: user('json') });

    expect(run.code).toBe(0);
    const job = JSON.parse(run.stdout);
    expect(job).toMatchObject({ status: 'succeeded', tier: 'pro', progress: 1, combinations: 16 });
    expect(Object.keys(job.result.stats)).toContain('sharpe');
    expect(job.result.sweep.top.length).toBe(10);
  });

  it('follows the job by polling when the WebSocket cannot be reached, and says so on stderr', { timeout: 30_000 }, async () => {
    const port = await closedPort();
    const run = await cli(['submit', ...SWEEP_FLAGS, '--watch', '--tier', 'pro', '--ws', `ws://127.0.0.1:${port}`], { BACKTEST_USER: user('poll') });

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`the WebSocket at ws://127.0.0.1:${port} did not open`);
    expect(run.stderr).toMatch(/following job \S+ by polling GET \/backtests\/\S+ every 1 s/);
    expect(run.stdout).toMatch(/succeeded +100%/);
    expect(run.stdout).toMatch(/best parameters: fast=\d+ slow=\d+/);
  });

  it('goes on by polling when the socket drops mid-job, and says so on stderr', { timeout: 60_000 }, async () => {
    const owner = user('drop');
    const api = new ApiClient(stack.httpUrl, await stack.token({ userId: owner, tier: 'pro' }));
    const jobId = (await api.submit({ ...LONG_SWEEP, symbol: 'SYNTH-DROP' })).body.jobId as string;
    const before = new Set(stack.connectionIds());
    const watching = start(['watch', jobId, '--tier', 'pro'], { BACKTEST_USER: owner });
    await until(() => new RegExp(`${jobId} running +\\d+%`).test(watching.stdout()), 20_000, 'the watcher shows the job running');

    // The server side hangs up, as API Gateway does on its idle or 2-hour limits (DELETE /@connections/{id}).
    const mine = stack.connectionIds().filter((id) => !before.has(id));
    expect(mine).toHaveLength(1);
    expect((await fetch(`${stack.managementEndpoint}/@connections/${encodeURIComponent(mine[0])}`, { method: 'DELETE' })).status).toBe(204);
    await until(() => watching.stderr().includes('polling'), 10_000, 'the watcher falls back to polling');
    // The job goes on to its end, seen by polling alone: cancel it so the test does not wait for the whole sweep.
    await api.call('DELETE', `/backtests/${jobId}`);
    const watched = await watching.done;

    expect(watched.stderr).toMatch(new RegExp(`the WebSocket closed \\(code \\d+\\); following job ${jobId} by polling GET /backtests/${jobId} every 1 s`));
    expect(watched.stdout).toMatch(/cancelled +\d+%/);
    expect(watched.code).toBe(1);
  });

  it('submits a --file job with flags on top, and an Idempotency-Key returns the same job', { timeout: 30_000 }, async () => {
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

  it('a job that fails exits 1 with its error', { timeout: 30_000 }, async () => {
    // 2010-01-02 and 03 are a weekend inside ORCL's data: accepted at submit, no bars to run on.
    const run = await cli(['submit', '--strategy', 'buy-and-hold', '--symbol', 'ORCL', '--start', '2010-01-02', '--end', '2010-01-03', '--watch', '--tier', 'pro'], { BACKTEST_USER: user('fail') });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/backtest: Job \S+ failed: No 1d bars for ORCL in the requested dates \(no_data\)\.\n$/);
  });

  it('a job cancelled while watched exits 1; cancel says what it did', { timeout: 60_000 }, async () => {
    const owner = user('cancel');
    const api = new ApiClient(stack.httpUrl, await stack.token({ userId: owner, tier: 'pro' }));
    const jobId = (await api.submit(LONG_SWEEP)).body.jobId as string;
    const env = { BACKTEST_USER: owner };

    const watching = start(['watch', jobId, '--tier', 'pro'], env);
    await until(() => new RegExp(`${jobId} running +\\d+%`).test(watching.stdout()), 20_000, 'the watcher shows the job running');
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

describe('--json for every command', () => {
  it('list, status, me, strategies, symbols and the admin commands print parseable JSON', { timeout: 60_000 }, async () => {
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

  it('human output: list is a table, strategies show defaults and bounds, admin queues a table per tier', { timeout: 30_000 }, async () => {
    const env = { BACKTEST_USER: user('human') };
    const [strategies, queues, me] = await Promise.all([cli(['strategies'], env), cli(['admin', 'queues'], env), cli(['me'], env)]);

    expect(strategies.stdout).toMatch(/^ {2}fast +integer +10 +1\.\.\d+ +fast SMA period/m);
    expect(queues.stdout).toMatch(/^tier +waiting +in flight +DLQ +oldest +concurrency$/m);
    expect(queues.stdout).toMatch(/^pro +\d+ +\d+ +\d+ +\S+( s)? +\d+$/m);
    expect(me.stdout).toMatch(/^today +0 of 3 submissions today \(resets \d{4}-\d{2}-\d{2}T00:00:00/m);
  });
});

describe('backtest admin queues --watch', () => {
  it('refreshes until Ctrl-C: one JSON document per refresh with --json, exit 0', { timeout: 30_000 }, async () => {
    const watching = start(['admin', 'queues', '--watch', '--interval', '0.5', '--json'], { BACKTEST_USER: user('ops') });
    await until(() => watching.stdout().split('\n').filter(Boolean).length >= 3, 20_000, 'three refreshes');
    watching.child.kill('SIGINT');
    const run = await watching.done;

    expect(run.code).toBe(0);
    const views = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    expect(views.length).toBeGreaterThanOrEqual(3);
    for (const view of views) expect(view.tiers.map((t: { tier: string }) => t.tier)).toEqual(['free', 'basic', 'pro']);
    expect(new Set(views.map((v) => v.at)).size).toBe(views.length);
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
