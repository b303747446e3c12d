import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { createJobEquityHandler, createJobSweepHandler, createJobTradesHandler } from '../../lambdas/handlers/api/result-handlers.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { createSymbolsHandler } from '../../lambdas/handlers/api/symbols-handler.ts';
import { silentLogger } from '../handlers/silent-logger.ts';
import { submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, lambdaContext } from '../support/events/index.ts';
import { InMemorySymbolCatalog } from '../support/fakes/index.ts';
import { hostileString } from '../support/hostile-input.ts';
import { expectClientProblem, RUNS } from './support.ts';

const ctx = lambdaContext();

/** bob's succeeded sweep; alice owns nothing. Hostile paging values and job ids never give a 5xx or change state. */
async function api() {
  const w = world();
  const symbols = new InMemorySymbolCatalog([
    { symbol: 'ORCL', timeframe: '1d', firstBarMs: Date.UTC(2004, 0, 2), lastBarMs: Date.UTC(2013, 11, 31), bars: 2516, source: 'csv' },
  ]);
  const deps = { ...w, symbols, logger: silentLogger };
  const submitted = await createSubmitHandler(deps)(httpEvent({ method: 'POST', route: '/backtests', body: submitBody({ params: { fast: [5, 10], slow: [30, 40] } }), claims: claimsFor('bob', 'pro') }), ctx);
  const jobId = JSON.parse(submitted.body!).jobId as string;
  await processJob(w.queue.messages.pro[0], 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });
  return {
    w,
    jobId,
    symbols: createSymbolsHandler(deps),
    trades: createJobTradesHandler(deps),
    equity: createJobEquityHandler(deps),
    sweep: createJobSweepHandler(deps),
  };
}

const query = fc.record({ limit: hostileString, cursor: hostileString }, { requiredKeys: [] });

describe('hostile input to the new read routes: 200 or a 4xx problem naming only the query fields, never a 5xx', () => {
  it('GET /symbols and GET /backtests/{jobId}/trades with any limit and cursor', async () => {
    const a = await api();
    const before = a.w.jobs.snapshot();
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), async (q, owner) => {
        const claims = claimsFor(owner ? 'bob' : 'alice', 'pro');
        for (const res of [
          await a.symbols(httpEvent({ method: 'GET', route: '/symbols', query: q, claims }), ctx),
          await a.trades(httpEvent({ method: 'GET', route: '/backtests/{jobId}/trades', pathParameters: { jobId: a.jobId }, query: q, claims }), ctx),
        ]) {
          if (res.statusCode === 200) continue;
          const problem = expectClientProblem(res);
          if (problem.status === 400) for (const e of problem.errors as { path: string }[]) expect(Object.keys(q)).toContain(e.path);
          else expect(problem.status).toBe(404); // alice asking for bob's trades
        }
      }),
      { numRuns: RUNS },
    );
    expect(a.w.jobs.snapshot()).toEqual(before);
  });

  it('result routes with any job id: 404 for anything but the owner\'s job', async () => {
    const a = await api();
    await fc.assert(
      fc.asyncProperty(hostileString, async (jobId) => {
        fc.pre(jobId.length > 0 && jobId !== a.jobId);
        for (const handler of [a.equity, a.sweep, a.trades]) {
          const res = await handler(httpEvent({ method: 'GET', route: '/backtests/{jobId}/equity', pathParameters: { jobId }, claims: claimsFor('bob', 'pro') }), ctx);
          expect(expectClientProblem(res).status).toBe(404);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
