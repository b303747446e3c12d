import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { ApiError, ApiUnreachableError, type ApiClient } from '../../client/api-client.ts';
import type { JobStatus, JobView } from '../../client/types.ts';
import { EXIT, explain } from '../../cli/errors.ts';
import { createOutput } from '../../cli/output.ts';
import { resolveTarget } from '../../cli/target.ts';
import { followJob } from '../../cli/watch.ts';
import type { StackFile } from '../../local/stack-file.ts';
import { FakeWebSocket } from '../support/fake-websocket.ts';
import { until } from '../support/until.ts';

// The pieces of the CLI that decide what a user sees, without a stack: how progress is drawn for a terminal, a pipe
// and --json; when polling gives up; where the CLI connects and with what token; and the one sentence per failure.

function job(status: JobStatus, progress: number, at: number): JobView {
  const t = new Date(Date.UTC(2026, 10, 28, 8, 0, at)).toISOString();
  return {
    jobId: 'j1', tier: 'pro', status, progress, message: `${status} ${Math.round(progress * 100)}`, attempts: 1, createdAt: t, updatedAt: t,
    request: { strategyId: 'sma-cross', params: {}, symbol: 'ORCL', timeframe: '1d', initialCash: 1e4, commission: 0, slippageBps: 0, sizing: 'all-in', fractional: false },
    combinations: 1, links: { self: '/backtests/j1' }, userId: 'u1', creditsCharged: 1,
  };
}

/** A client whose GET /backtests/{id} walks through `states`, then stays at the last one. */
function scriptedApi(states: (JobView | Error)[]): ApiClient {
  let i = 0;
  return {
    getJob: async () => {
      const next = states[Math.min(i++, states.length - 1)];
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as ApiClient;
}

function capture(tty: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 100 } : {});
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

const STATES = [job('queued', 0, 0), job('running', 0.4, 1), job('running', 0.4, 1), job('succeeded', 1, 2)];

describe('followJob by polling (no WebSocket URL)', () => {
  it('a pipe gets one plain line per change, no escape codes; the reason for polling goes to stderr', async () => {
    const out = capture(false);
    const err = capture(false);
    const final = await followJob({ api: scriptedApi(STATES), jobId: 'j1', token: 't', out: createOutput({ json: false, stdout: out.stream, stderr: err.stream }), pollMs: 5 });

    expect(final.status).toBe('succeeded');
    const lines = out.text().trim().split('\n');
    expect(lines.map((l) => l.replace(/^\d\d:\d\d:\d\d j1 /, ''))).toEqual(['queued      0%  queued 0', 'running    40%  running 40', 'succeeded 100%  succeeded 100']);
    expect(out.text()).not.toContain('\x1b[');
    expect(err.text()).toBe('backtest: no WebSocket URL (--ws or BACKTEST_WS_URL); following job j1 by polling GET /backtests/j1 every 0.005 s\n');
  });

  it('a terminal gets a redrawn progress bar ending at 100 %', async () => {
    const out = capture(true);
    await followJob({ api: scriptedApi(STATES), jobId: 'j1', token: 't', out: createOutput({ json: false, stdout: out.stream, stderr: new PassThrough() }), pollMs: 5 });

    expect(out.text()).toContain('\x1b[');
    expect(out.text()).toMatch(/█{30} 100% \| succeeded succeeded 100/);
    expect(out.text()).not.toMatch(/^\d\d:\d\d:\d\d j1/m);
  });

  it('--json draws nothing while following', async () => {
    const out = capture(true);
    await followJob({ api: scriptedApi(STATES), jobId: 'j1', token: 't', out: createOutput({ json: true, stdout: out.stream, stderr: new PassThrough() }), pollMs: 5 });
    expect(out.text()).toBe('');
  });

  it('rides out a few unreachable polls, and gives up with the unreachable error after five in a row', async () => {
    const down = new ApiUnreachableError('http://127.0.0.1:9/backtests/j1');
    const out = createOutput({ json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    const recovered = await followJob({ api: scriptedApi([down, down, job('running', 0.5, 1), down, job('succeeded', 1, 2)]), jobId: 'j1', token: 't', out, pollMs: 5 });
    expect(recovered.status).toBe('succeeded');

    await expect(followJob({ api: scriptedApi([job('running', 0.1, 1), down]), jobId: 'j1', token: 't', out, pollMs: 5 })).rejects.toBe(down);
    expect(explain(down).exitCode).toBe(EXIT.unreachable);
  });

  it('ends on a terminal state even when it carries an older updatedAt than a state seen before it', async () => {
    // Writers on several workers stamp updatedAt before the write lands: on the local stack a fanned-out sweep's
    // cancel (stamped .604) was stored after a chunk's message write (stamped .707), and the watch never ended.
    let polls = 0;
    const states = [job('running', 0.4, 5), job('cancelled', 0.4, 3)];
    const api = { getJob: async () => states[Math.min(polls++, states.length - 1)] } as unknown as ApiClient;
    const out = createOutput({ json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    let final: JobView | undefined;
    void followJob({ api, jobId: 'j1', token: 't', out, pollMs: 5 }).then((j) => (final = j));

    await until(() => final !== undefined || polls > 50, 10_000, 'the watch ended or polled 50 times');
    expect(final?.status).toBe('cancelled');
  });
});

/** A WebSocket the test drives: open() it, push() server messages. */
describe('followJob over the WebSocket', () => {
  it('a queued place read earlier (older positionAt) that arrives later does not raise the place shown', async () => {
    // Queue refreshes of one job all carry its same `at` and run in two lanes, so they can arrive in either order.
    const out = capture(false);
    const done = job('succeeded', 1, 20);
    const watching = followJob({
      api: scriptedApi([done]), jobId: 'j1', wsUrl: 'ws://fake', token: 't', safetyPollMs: 60_000, WebSocket: FakeWebSocket,
      out: createOutput({ json: false, stdout: out.stream, stderr: new PassThrough() }),
    });
    const socket = FakeWebSocket.last!;
    socket.open();
    const queuedAt = job('queued', 0, 0).updatedAt;
    const t = (s: number): string => new Date(Date.UTC(2026, 10, 28, 8, 0, s)).toISOString();
    const queued = (queuePosition: number, etaSeconds: number, positionAt: string) =>
      socket.push({ type: 'progress', jobId: 'j1', status: 'queued', progress: 0, message: 'Queued', at: queuedAt, queuePosition, etaSeconds, positionAt });
    socket.push({ type: 'snapshot', job: { ...job('queued', 0, 0), message: 'Queued', queuePosition: 5, etaSeconds: 60, positionAt: t(10) } });
    queued(4, 50, t(12));
    queued(5, 60, t(11)); // read before the 4, posted after it
    queued(3, 40, t(13));
    queued(3, 40, t(13)); // the same refresh again (a retried batch): nothing new to show
    socket.push({ type: 'progress', jobId: 'j1', status: 'succeeded', progress: 1, message: 'done', at: done.updatedAt });

    expect((await watching).status).toBe('succeeded');
    const lines = out.text().trim().split('\n').map((l) => l.replace(/^\d\d:\d\d:\d\d j1 /, ''));
    expect(lines).toEqual(['queued      0%  Queued; 5 ahead, ~60 s', 'queued      0%  Queued; 4 ahead, ~50 s', 'queued      0%  Queued; 3 ahead, ~40 s', 'succeeded 100%  done']);
  });
});

const STACK: StackFile = {
  pid: 1, httpUrl: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001', dynamodbEndpoint: 'http://127.0.0.1:1', sqsEndpoint: 'http://127.0.0.1:1',
  jobsTable: 'j', usersTable: 'u', queues: { free: { url: 'q', dlqUrl: 'd' }, basic: { url: 'q', dlqUrl: 'd' }, pro: { url: 'q', dlqUrl: 'd' } },
  streamFailureQueueUrl: 'f', env: {},
};

describe('resolveTarget', () => {
  it('flags beat the environment, which beats the running stack', async () => {
    const env = { BACKTEST_API_URL: 'https://env.example/prod', BACKTEST_WS_URL: 'wss://env.example/prod', BACKTEST_TOKEN: 'env-token' };
    const fromFlags = await resolveTarget({ api: 'https://flag.example', token: 'flag-token' }, { env, readStack: () => STACK });
    const fromEnv = await resolveTarget({}, { env, readStack: () => STACK });

    expect(fromFlags).toEqual({ apiUrl: 'https://flag.example', wsUrl: 'wss://env.example/prod', token: 'flag-token', tokenSource: 'flag' });
    expect(fromEnv).toEqual({ apiUrl: 'https://env.example/prod', wsUrl: 'wss://env.example/prod', token: 'env-token', tokenSource: 'env' });
  });

  it('a deployed API without a token is refused with how to get one; no stack and no API says to start one', async () => {
    const remote = resolveTarget({ api: 'https://abc.execute-api.eu-west-1.amazonaws.com' }, { env: {}, loginFile: null, readStack: () => STACK });
    await expect(remote).rejects.toMatchObject({ exitCode: EXIT.auth, message: expect.stringMatching(/^No token for https:\/\/abc\.execute-api.+ID token, see docs\/deploy\.md/) });
    await expect(resolveTarget({}, { env: {}, loginFile: null, readStack: () => undefined })).rejects.toMatchObject({ exitCode: EXIT.unreachable });
  });

  it('the local stack: its URLs, and a token signed here for --user and --tier (admin commands get the admin claim)', async () => {
    const target = await resolveTarget({ user: 'ada', tier: 'basic' }, { env: {}, admin: true, loginFile: null, readStack: () => STACK });
    const claims = JSON.parse(Buffer.from(target.token.split('.')[1], 'base64url').toString('utf8'));

    expect(target).toMatchObject({ apiUrl: STACK.httpUrl, wsUrl: STACK.wsUrl, tokenSource: 'local' });
    expect(target.found).toBe('using the local stack (npm start, pid 1) at http://127.0.0.1:3000, signed in as ada (basic, admin) with the local key');
    expect(claims).toMatchObject({ sub: 'ada', tier: 'basic', admin: true, iss: 'backtest-local' });
    expect(claims.exp - claims.iat).toBe(3600);
  });
});

describe('explain: one sentence per failure', () => {
  const problem = (status: number, detail: string, errors?: { path: string; message: string }[]) =>
    new ApiError(status, { type: 'about:blank', title: 'T', status, detail, ...(errors ? { errors } : {}) });

  it('names every field the API named', () => {
    const e = explain(problem(400, 'Invalid request', [{ path: 'symbol', message: 'unknown symbol X.' }, { path: 'params.fast', message: 'must be >= 1' }]), { refused: 'the job' });
    expect(e).toMatchObject({ exitCode: EXIT.usage, message: 'The API refused the job: symbol: unknown symbol X; params.fast: must be >= 1.' });
    expect(explain(problem(400, 'Invalid query', [{ path: 'limit', message: 'must be a whole number from 1 to 500' }])).message).toBe('The API refused the request: limit: must be a whole number from 1 to 500.');
  });

  it('says when a token expired, from the token itself when the API does not', () => {
    const exp = Math.floor(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
    const token = `h.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.s`;
    const e = explain(problem(401, ''), { token, tokenSource: 'env' });
    expect(e.exitCode).toBe(EXIT.auth);
    expect(e.message).toMatch(/^The token expired at 2026-01-02T03:04:05\.000Z\. Get a new one/);
  });

  it('keeps the time the API gives for an expired token, once', () => {
    const e = explain(problem(401, 'The token expired at 2026-11-28T07:49:02Z (UTC); get a new one.'), { tokenSource: 'env' });
    expect(e.message).toMatch(/^The token expired at 2026-11-28T07:49:02Z\. Get a new one \(locally: `npm run -s token -- --user <id>`; on AWS: backtest login/);
  });

  it('the daily limit keeps the API\'s reset time and, locally, says how to get more', () => {
    const e = explain(problem(429, 'Daily limit of 3 submissions reached; the limit resets at 2026-11-29T00:00:00Z (UTC).'), { tokenSource: 'local' });
    expect(e).toMatchObject({ exitCode: EXIT.failed, message: 'Daily limit of 3 submissions reached; the limit resets at 2026-11-29T00:00:00Z (UTC). Locally, --tier basic or --tier pro has a higher limit.' });
  });
});
