import { describe, expect, it } from 'vitest';
import { jobViewSchema, problemSchema, submitEstimateSchema } from '../../lambdas/core/api-schemas.ts';
import type { Job } from '../../lambdas/core/job.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { etaSeconds, foldThroughput, runningEta } from '../../lambdas/core/use-cases/eta.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { createGetJobHandler } from '../../lambdas/handlers/api/get-job-handler.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import type { HttpResult } from '../../lambdas/handlers/shared/http.ts';
import { submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, lambdaContext } from '../support/events/index.ts';
import { InMemorySymbolCatalog } from '../support/fakes/index.ts';
import { silentMetrics } from './emf.ts';
import { silentLogger } from './silent-logger.ts';

const ctx = lambdaContext();
const day = (s: string) => Date.parse(`${s}T00:00:00Z`);

function setup() {
  const w = world();
  // A year of real-looking minute bars: 98,280 bars (252 sessions of 390 minutes), as the catalog lists them.
  const symbols = new InMemorySymbolCatalog([
    { symbol: 'ACME', timeframe: '1m', firstBarMs: day('2023-01-03') + 14.5 * 3_600_000, lastBarMs: day('2023-12-29') + 21 * 3_600_000, bars: 98_280, source: 'csv' },
  ]);
  const deps = { ...w, symbols, logger: silentLogger };
  return { w, submit: createSubmitHandler({ ...deps, metrics: silentMetrics() }), get: createGetJobHandler(deps) };
}

const json = (res: HttpResult) => JSON.parse(res.body ?? 'null') as Record<string, unknown>;
const FIVE_THOUSAND = { fast: { from: 1, to: 50, step: 1 }, slow: { from: 51, to: 150, step: 1 } };

describe('POST /backtests?dryRun=true', () => {
  it('answers combinations, bars as the data has them, bar evaluations, chunks, credits and ETA, and changes nothing', async () => {
    const s = setup();
    const body = submitBody({ symbol: 'ACME', timeframe: '1m', startDate: '2023-01-01', endDate: '2023-12-31', params: FIVE_THOUSAND });
    const res = await s.submit(httpEvent({ method: 'POST', route: '/backtests', query: { dryRun: 'true' }, body, claims: claimsFor('alice', 'pro') }), ctx);
    expect(res.statusCode, res.body).toBe(200);
    const estimate = submitEstimateSchema.parse(json(res));
    // The catalog's own bar count, not 365 x 1,440 calendar minutes (5.4x more, which the old estimate used).
    expect(estimate).toMatchObject({ dryRun: true, tier: 'pro', combinations: 5000, bars: 98_280, barsFrom: 'catalog', barEvaluations: 98_280 * 5000 });
    expect(estimate.chunks).toBe(Math.ceil((98_280 * 5000) / TIER_SETTINGS.pro.chunkBarEvaluations));
    expect(estimate.credits).toBe(5);
    expect(estimate.queuePosition).toBe(0);
    expect(estimate.etaSeconds).toBeGreaterThan(0);
    expect(estimate.limits.maxBarEvaluations).toBe(TIER_SETTINGS.pro.maxBarEvaluations);
    // Nothing was created, queued or charged.
    expect(s.w.jobs.count()).toBe(0);
    expect(s.w.queue.all()).toEqual([]);
    expect(s.w.jobs.credits('alice')).toBeUndefined();
  });

  it('refuses what submit refuses, naming the field, and a dryRun value that is not true or false', async () => {
    const s = setup();
    // Synthetic minute bars with no dates (counted by calendar from 1970) x 4: above the free tier's 1e8.
    const tooBig = submitBody({ timeframe: '1m', startDate: undefined, endDate: undefined, params: { fast: [5, 10], slow: [30, 40] } });
    const refused = await s.submit(httpEvent({ method: 'POST', route: '/backtests', query: { dryRun: 'true' }, body: tooBig, claims: claimsFor('bob', 'free') }), ctx);
    expect(refused.statusCode).toBe(400);
    expect(problemSchema.parse(json(refused)).errors?.[0].path).toBe('params');
    const unknown = await s.submit(httpEvent({ method: 'POST', route: '/backtests', query: { dryRun: 'true' }, body: submitBody({ symbol: 'NOPE' }), claims: claimsFor('bob', 'pro') }), ctx);
    expect(problemSchema.parse(json(unknown)).errors?.[0].path).toBe('symbol');
    const bad = await s.submit(httpEvent({ method: 'POST', route: '/backtests', query: { dryRun: 'yes' }, body: submitBody(), claims: claimsFor('bob', 'pro') }), ctx);
    expect(bad.statusCode).toBe(400);
    expect(problemSchema.parse(json(bad)).errors).toEqual([{ path: 'dryRun', message: 'must be true or false' }]);
    expect(s.w.jobs.count()).toBe(0);
  });

  it('dryRun=false is an ordinary submit', async () => {
    const s = setup();
    const res = await s.submit(httpEvent({ method: 'POST', route: '/backtests', query: { dryRun: 'false' }, body: submitBody(), claims: claimsFor('carol', 'pro') }), ctx);
    expect(res.statusCode).toBe(202);
    expect(s.w.jobs.count()).toBe(1);
  });
});

describe('queue position and ETA', () => {
  it('GET /backtests/{id} of a queued job carries queuePosition and etaSeconds, larger further back; a running one its time left', async () => {
    const s = setup();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await s.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor(`u${i}`, 'free') }), ctx);
      ids.push(String(json(res).jobId));
      s.w.clock.advance(1000);
    }
    const views = [];
    for (const [i, id] of ids.entries()) {
      const res = await s.get(httpEvent({ method: 'GET', route: '/backtests/{jobId}', pathParameters: { jobId: id }, claims: claimsFor(`u${i}`, 'free') }), ctx);
      views.push(jobViewSchema.parse(json(res)));
    }
    expect(views.map((v) => v.queuePosition)).toEqual([0, 1, 2]);
    expect(views.every((v) => typeof v.etaSeconds === 'number' && v.etaSeconds >= 1)).toBe(true);

    const job = (await s.w.jobs.get(ids[0])) as Job;
    const running: Job = { ...job, status: 'running', progress: 0.25, startedAt: new Date(s.w.clock.now() - 10_000).toISOString() };
    // A quarter done in 10 s: about 30 s left.
    expect(runningEta(running, s.w.clock.now())).toBe(30);
  });

  it('the wait grows by one average delivery per full round of the tier\'s workers ahead', () => {
    const job = { status: 'queued', barEvaluations: 0, tier: 'free' } as unknown as Job;
    const throughput = { barEvaluationsPerSecond: 1e7, deliverySeconds: 6, samples: 5 };
    const eta = (ahead: number, running: number) => etaSeconds(job, { ahead, running, concurrency: 5, throughput }, 0);
    expect(eta(0, 2)).toBe(1);
    expect(eta(2, 3)).toBe(6);
    expect(eta(7, 5)).toBe(12);
    // A fanned-out job's run is spread over its chunks (at most the tier's workers).
    const big = { status: 'queued', barEvaluations: 1e9, chunks: 40, tier: 'free' } as unknown as Job;
    expect(etaSeconds(big, { ahead: 0, running: 0, concurrency: 5, throughput }, 0)).toBe(20);
  });

  it('workers feed the tier throughput that the ETA uses', async () => {
    const s = setup();
    const res = await s.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('dave', 'basic') }), ctx);
    expect(await s.w.jobs.tierThroughput('basic')).toBeUndefined();
    await processJob(s.w.queue.messages.basic[0], 1, { jobs: s.w.jobs, marketData: s.w.marketData, clock: s.w.clock });
    expect((await s.w.jobs.get(String(json(res).jobId)))?.status).toBe('succeeded');
    const measured = await s.w.jobs.tierThroughput('basic');
    expect(measured?.samples).toBe(1);
    // A moving average: a second, slower delivery pulls the rate down by a tenth of the difference.
    const next = foldThroughput({ ...measured!, barEvaluationsPerSecond: 1e7, deliverySeconds: 2 }, { barEvaluations: 1e6, seconds: 1 }, 'now');
    expect(next.barEvaluationsPerSecond).toBeCloseTo(1e7 - 0.1 * 9e6, 3);
  });
});
