import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient, type ApiClient } from '../../client/api-client.ts';
import type { ProgressMessage } from '../../client/types.ts';
import { connectProgress } from '../../client/ws-client.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { REPO_ROOT } from '../../lib/handler-entries.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';

// The routes the CLI and the web app use, over real HTTP and WebSocket against the local stack, through the shared
// typed client (client/api-client.ts, client/ws-client.ts), on the example data the repository ships.
let stack: LocalStack;
const user = (label: string): string => `${label}-${Math.random().toString(16).slice(2, 8)}`;
const clientFor = async (userId: string, tier: 'free' | 'basic' | 'pro' = 'pro'): Promise<ApiClient> =>
  createApiClient({ baseUrl: stack.httpUrl, token: await stack.token({ userId, tier }) });

beforeAll(async () => {
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    emulators: emulatorEndpoints(),
    prefix: freshPrefix('e2e-api'),
    dataDir: join(REPO_ROOT, 'examples', 'data'),
    workerThreads: { free: 1, basic: 1, pro: 1 },
    extraEnv: { LOG_LEVEL: 'ERROR' },
    log: errorsOnlyLogger,
  });
});

afterAll(async () => {
  await stack?.stop();
});

/** Resolves with the terminal progress message of a job, from the WebSocket (no polling, no fixed sleep). */
function terminalMessage(token: string, jobId: string): Promise<ProgressMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`job ${jobId} did not finish in 60 s`)), 60_000);
    const conn = connectProgress({
      wsUrl: stack.wsUrl,
      token,
      onMessage: (m) => {
        const status = m.type === 'progress' ? m.status : m.type === 'snapshot' ? m.job.status : undefined;
        if (status === 'succeeded' || status === 'failed' || status === 'cancelled') {
          clearTimeout(timer);
          conn.close();
          resolve(m);
        }
      },
      onClose: (e) => reject(new Error(`socket closed (${e.code})`)),
    });
    conn.subscribe(jobId);
  });
}

describe('API routes over HTTP', () => {
  it('serves /openapi.json without a token, as a valid OpenAPI 3.1 document naming this server', async () => {
    const res = await fetch(`${stack.httpUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { servers: { url: string }[]; paths: Record<string, unknown> };
    expect(doc.servers).toEqual([{ url: stack.httpUrl }]);
    const result = await new Validator().validate(doc as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/me', '/strategies', '/symbols', '/backtests/{jobId}/sweep']));
  });

  it('answers an expired token with 401 saying it expired and when', async () => {
    const exp = Math.floor(Date.now() / 1000) - 120;
    const token = await stack.token({ userId: user('late'), extraClaims: { exp } });
    const res = await fetch(`${stack.httpUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('the token has expired');
    const problem = (await res.json()) as { detail: string };
    expect(problem.detail).toContain(`The token expired at ${new Date(exp * 1000).toISOString().replace('.000Z', 'Z')}`);
    const missing = await fetch(`${stack.httpUrl}/me`);
    expect(((await missing.json()) as { detail: string }).detail).toContain('bearer token is required');
  });

  it('GET /me, /strategies and /symbols tell a new user what they can run', async () => {
    const api = await clientFor(user('newbie'), 'free');
    const me = await api.me();
    expect(me).toMatchObject({ tier: 'free', credits: 10, submissionsToday: 0, dailyLimit: 3, limits: { maxCombinations: 100 } });
    expect(Date.parse(me.dailyResetAt) - Date.now()).toBeLessThanOrEqual(86_400_000);

    const { items } = await api.strategies();
    expect(items.find((s) => s.id === 'sma-cross')?.parameters.properties.slow).toMatchObject({ type: 'integer', default: 30, minimum: 2 });

    const first = await api.symbols({ limit: 2 });
    const rest = await api.symbols({ limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...rest.items].map((s) => `${s.symbol}/${s.timeframe}`)).toEqual(['EURUSD/1h', 'NVDA/1d', 'ORCL/1d', 'YHOO/1d']);
    expect(rest.nextCursor).toBeNull();
    expect(first.items[0]).toMatchObject({ source: 'csv', firstBar: '2017-04-19T09:00:00.000Z' });
    expect(first.synthetic.pattern).toBe('SYNTH-*');
  });

  it('refuses an unknown symbol and dates outside the data at submit, naming the field and what exists', async () => {
    const api = await clientFor(user('typo'));
    const orcl = (await api.symbols()).items.find((s) => s.symbol === 'ORCL')!;
    const unknown = await api.submit({ strategyId: 'sma-cross', symbol: 'ORACLE' }).catch((e: unknown) => e as ApiError);
    expect(unknown).toBeInstanceOf(ApiError);
    expect((unknown as ApiError).status).toBe(400);
    expect((unknown as ApiError).fieldErrors).toEqual([{ path: 'symbol', message: expect.stringContaining('known: EURUSD, NVDA, ORCL, YHOO') }]);
    const late = (await api.submit({ strategyId: 'sma-cross', symbol: 'ORCL', startDate: '2030-01-01' }).catch((e: unknown) => e)) as ApiError;
    expect(late.fieldErrors).toEqual([{ path: 'startDate', message: `is after the last bar: ORCL 1d data runs from ${orcl.firstBar} to ${orcl.lastBar}` }]);
    expect((await api.me()).submissionsToday).toBe(0);
  });

  // It waits up to 60 s for the job (terminalMessage), so the test's own bound must be above that.
  it('a two-parameter sweep: small job view, equity with drawdown, paged trades, and the grid for a heatmap', { timeout: 120_000 }, async () => {
    const userId = user('sweeper');
    const token = await stack.token({ userId, tier: 'pro' });
    const api = createApiClient({ baseUrl: stack.httpUrl, token });
    const { jobId } = await api.submit({
      strategyId: 'sma-cross',
      symbol: 'ORCL',
      startDate: '2004-01-01',
      endDate: '2013-12-31',
      params: { fast: [5, 10, 20], slow: { from: 30, to: 90, step: 30 } },
      sweep: { metric: 'returnPct', top: 3 },
    });
    const last = await terminalMessage(token, jobId);
    expect(last).toMatchObject({ status: 'succeeded' });

    const job = await api.getJob(jobId);
    expect(JSON.stringify(job).length).toBeLessThan(8 * 1024);
    expect(job.result?.sweep).toMatchObject({ metric: 'returnPct', combinations: 9 });
    expect(job.result?.sweep?.top).toHaveLength(3);
    expect(job.links).toEqual({ self: `/backtests/${jobId}`, equity: `/backtests/${jobId}/equity`, trades: `/backtests/${jobId}/trades`, sweep: `/backtests/${jobId}/sweep` });

    const equity = await api.equity(jobId);
    expect(equity.time.length).toBe(equity.drawdownPct.length);
    expect(equity.drawdownPct.every((d) => d <= 0)).toBe(true);

    const page1 = await api.trades(jobId, { limit: 3 });
    expect(page1.total).toBe(job.result?.tradesTotal);
    const page2 = await api.trades(jobId, { limit: 3, cursor: page1.nextCursor! });
    expect(page2.items[0].entryTime > page1.items[2].entryTime).toBe(true);

    const sweep = await api.sweep(jobId);
    expect(sweep.grid).toMatchObject({ params: ['fast', 'slow'], values: { fast: [5, 10, 20], slow: [30, 60, 90] } });
    const best = sweep.top[0];
    const cell = sweep.grid!.metric[[5, 10, 20].indexOf(best.params.fast as number) * 3 + [30, 60, 90].indexOf(best.params.slow as number)];
    expect(cell).toBe(Number(best.stats.returnPct!.toPrecision(6)));

    const other = await clientFor(user('other'));
    expect(((await other.sweep(jobId).catch((e: unknown) => e)) as ApiError).status).toBe(404);
  });
});
