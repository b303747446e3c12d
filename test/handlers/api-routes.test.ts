import { describe, expect, it } from 'vitest';
import type * as z from '../../engine/zod-mini.ts';
import {
  equitySchema,
  jobViewSchema,
  meSchema,
  problemSchema,
  strategiesSchema,
  sweepViewSchema,
  symbolsPageSchema,
  tradesPageSchema,
} from '../../lambdas/core/api-schemas.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { createGetJobHandler } from '../../lambdas/handlers/api/get-job-handler.ts';
import { createMeHandler } from '../../lambdas/handlers/api/me-handler.ts';
import { createJobEquityHandler, createJobSweepHandler, createJobTradesHandler } from '../../lambdas/handlers/api/result-handlers.ts';
import { createStrategiesHandler } from '../../lambdas/handlers/api/strategies-handler.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { createSymbolsHandler } from '../../lambdas/handlers/api/symbols-handler.ts';
import type { HttpResult } from '../../lambdas/handlers/shared/http.ts';
import { submitBody, world } from '../core/support.ts';
import { InMemoryAccountStore, InMemorySymbolCatalog } from '../support/fakes/index.ts';
import { claimsFor, httpEvent, lambdaContext } from '../support/events/index.ts';
import { silentMetrics } from './emf.ts';
import { silentLogger } from './silent-logger.ts';

const ctx = lambdaContext();
const day = (s: string) => Date.parse(`${s}T00:00:00Z`);

/** The body of a 2xx JSON answer, parsed with the response schema the OpenAPI document publishes for it. */
function bodyAs<T>(res: HttpResult, status: number, schema: z.ZodMiniType<T>): T {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers?.['Content-Type']).toBe('application/json');
  const parsed = schema.safeParse(JSON.parse(res.body ?? 'null'));
  expect(parsed.error?.issues ?? []).toEqual([]);
  return parsed.data!;
}

function problemOf(res: HttpResult, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers?.['Content-Type']).toBe('application/problem+json');
  return problemSchema.parse(JSON.parse(res.body ?? 'null'));
}

function setup() {
  const w = world();
  const symbols = new InMemorySymbolCatalog([
    { symbol: 'ORCL', timeframe: '1d', firstBarMs: day('2004-01-02'), lastBarMs: day('2013-12-31'), bars: 2516, source: 'csv' },
  ]);
  const deps = { ...w, symbols, accounts: new InMemoryAccountStore(w.jobs), logger: silentLogger };
  return {
    w,
    symbols,
    submit: createSubmitHandler({ ...deps, metrics: silentMetrics() }),
    get: createGetJobHandler(deps),
    me: createMeHandler(deps),
    strategies: createStrategiesHandler(deps),
    listSymbols: createSymbolsHandler(deps),
    equity: createJobEquityHandler(deps),
    trades: createJobTradesHandler(deps),
    sweep: createJobSweepHandler(deps),
  };
}

describe('the API routes the clients need', () => {
  it('GET /me, /strategies and /symbols answer in their published shapes', async () => {
    const api = setup();
    const me = bodyAs(await api.me(httpEvent({ method: 'GET', route: '/me', claims: claimsFor('alice', 'basic') }), ctx), 200, meSchema);
    expect(me).toMatchObject({ userId: 'alice', tier: 'basic', dailyLimit: 100, dailyResetAt: '2024-03-02T00:00:00.000Z' });

    const strategies = bodyAs(await api.strategies(httpEvent({ method: 'GET', route: '/strategies', claims: claimsFor('alice') }), ctx), 200, strategiesSchema);
    expect(strategies.items.find((s) => s.id === 'sma-cross')?.parameters.properties.fast).toMatchObject({ type: 'integer', default: 10 });

    const symbols = bodyAs(await api.listSymbols(httpEvent({ method: 'GET', route: '/symbols', query: { limit: '10' }, claims: claimsFor('alice') }), ctx), 200, symbolsPageSchema);
    expect(symbols.items).toEqual([{ symbol: 'ORCL', timeframe: '1d', firstBar: '2004-01-02', lastBar: '2013-12-31', bars: 2516, source: 'csv' }]);
    expect(symbols.synthetic.pattern).toBe('SYNTH-*');

    const bad = problemOf(await api.listSymbols(httpEvent({ method: 'GET', route: '/symbols', query: { limit: 'lots' }, claims: claimsFor('alice') }), ctx), 400);
    expect(bad.errors).toEqual([{ path: 'limit', message: expect.any(String) }]);
  });

  it('POST /backtests refuses an unknown symbol and dates outside the data with 400 naming the field and what exists', async () => {
    const api = setup();
    const send = (body: Record<string, unknown>) => api.submit(httpEvent({ method: 'POST', route: '/backtests', body, claims: claimsFor('alice', 'pro') }), ctx);

    const unknown = problemOf(await send(submitBody({ symbol: 'MSFT' })), 400);
    expect(unknown.errors).toEqual([{ path: 'symbol', message: expect.stringContaining('known: ORCL') }]);
    const late = problemOf(await send(submitBody({ symbol: 'ORCL', startDate: '2020-01-01', endDate: '2021-01-01' })), 400);
    expect(late.errors).toEqual([{ path: 'startDate', message: 'is after the last bar: ORCL 1d data runs from 2004-01-02 to 2013-12-31' }]);
    expect(api.w.jobs.count()).toBe(0);
    expect((await send(submitBody({ symbol: 'SYNTH-A' }))).statusCode).toBe(202);
  });

  it('answers 429 naming the reset time in UTC, with Retry-After', async () => {
    const api = setup();
    const send = () => api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('frank', 'free') }), ctx);
    for (let i = 0; i < 3; i++) expect((await send()).statusCode).toBe(202);
    const res = await send();
    const problem = problemOf(res, 429);
    expect(problem.detail).toBe('Daily limit of 3 submissions reached; the limit resets at 2024-03-02T00:00:00Z (UTC), in 43200 s');
    expect(res.headers?.['Retry-After']).toBe('43200');
  });

  it('GET /backtests/{jobId} stays small and links the result sub-resources, which answer in their shapes', async () => {
    const api = setup();
    const claims = claimsFor('alice', 'pro');
    const submitted = await api.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody({ params: { fast: [5, 10], slow: [20, 30, 40] } }), claims }), ctx);
    const jobId = JSON.parse(submitted.body!).jobId as string;
    const pathParameters = { jobId };

    const early = problemOf(await api.equity(httpEvent({ method: 'GET', route: '/backtests/{jobId}/equity', pathParameters, claims }), ctx), 409);
    expect(early.detail).toContain('queued');

    await processJob(api.w.queue.messages.pro[0], 1, { jobs: api.w.jobs, marketData: api.w.marketData, clock: api.w.clock });
    const getRes = await api.get(httpEvent({ method: 'GET', route: '/backtests/{jobId}', pathParameters, claims }), ctx);
    const view = bodyAs(getRes, 200, jobViewSchema);
    expect(getRes.body!.length).toBeLessThan(8 * 1024);
    expect(view.links).toEqual({ self: `/backtests/${jobId}`, equity: `/backtests/${jobId}/equity`, trades: `/backtests/${jobId}/trades`, sweep: `/backtests/${jobId}/sweep` });

    const equity = bodyAs(await api.equity(httpEvent({ method: 'GET', route: '/backtests/{jobId}/equity', pathParameters, claims }), ctx), 200, equitySchema);
    expect(equity.time.length).toBeGreaterThan(10);
    const trades = bodyAs(await api.trades(httpEvent({ method: 'GET', route: '/backtests/{jobId}/trades', pathParameters, query: { limit: '2' }, claims }), ctx), 200, tradesPageSchema);
    expect(trades.items).toHaveLength(2);
    expect(trades.nextCursor).toBe('2');
    const sweep = bodyAs(await api.sweep(httpEvent({ method: 'GET', route: '/backtests/{jobId}/sweep', pathParameters, claims }), ctx), 200, sweepViewSchema);
    expect(sweep.grid).toMatchObject({ params: ['fast', 'slow'], values: { fast: [5, 10], slow: [20, 30, 40] } });
    expect(sweep.grid!.metric).toHaveLength(6);

    const mallory = claimsFor('mallory', 'pro');
    problemOf(await api.trades(httpEvent({ method: 'GET', route: '/backtests/{jobId}/trades', pathParameters, claims: mallory }), ctx), 404);
    problemOf(await api.sweep(httpEvent({ method: 'GET', route: '/backtests/{jobId}/sweep', pathParameters, claims: mallory }), ctx), 404);
  });
});
