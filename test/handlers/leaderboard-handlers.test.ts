import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../engine/index.ts';
import type { Job } from '../../lambdas/core/job.ts';
import { problemSchema } from '../../lambdas/core/api-schemas.ts';
import { boardsResponseSchema, leaderboardPageSchema, publishResponseSchema } from '../../lambdas/core/leaderboard-schemas.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { handleClientMessage } from '../../lambdas/core/use-cases/websocket-session.ts';
import { createListBoardsHandler, createPublishHandler, createRankBoardHandler } from '../../lambdas/handlers/api/leaderboard-handlers.ts';
import type { HttpResult } from '../../lambdas/handlers/shared/http.ts';
import { createLeaderboardRecorderHandler } from '../../lambdas/handlers/stream/leaderboard-recorder-handler.ts';
import { principal, world } from '../core/support.ts';
import { claimsFor, httpEvent, jobStreamRecord, lambdaContext, streamEvent } from '../support/events/index.ts';
import { InMemoryLeaderboardStore } from '../support/fakes/in-memory-leaderboard-store.ts';
import { silentLogger } from './silent-logger.ts';

const ctx = lambdaContext();
const BOARD = 'orcl-1d-2011';
const ORCL = parseCsv(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'data', 'ORCL-1d.csv'), 'utf8'));

function setup() {
  const w = world();
  w.marketData.add('ORCL', '1d', ORCL);
  const store = new InMemoryLeaderboardStore();
  const submit = { jobs: w.jobs, queue: w.queue, clock: w.clock, newJobId: w.newJobId };
  const publish = createPublishHandler({ jobs: w.jobs, store, marketData: w.marketData, clock: w.clock, submit, logger: silentLogger });
  const rank = createRankBoardHandler({ store, logger: silentLogger });
  const recorder = createLeaderboardRecorderHandler({ store, clock: w.clock, connections: w.connections, push: w.push, logger: silentLogger });
  return { w, store, submit, publish, rank, recorder };
}

const json = (res: HttpResult) => JSON.parse(res.body ?? 'null') as unknown;

async function succeededJob(s: ReturnType<typeof setup>, user: string): Promise<string> {
  const body = { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'ORCL', timeframe: '1d', startDate: '2000-01-01', endDate: '2010-12-31' };
  const { jobId } = await submitBacktest(principal(user, 'pro'), body, undefined, s.submit);
  await processJob(s.w.queue.messages.pro.shift(), 1, { jobs: s.w.jobs, marketData: s.w.marketData, clock: s.w.clock, random: () => 0 });
  return jobId;
}

describe('leaderboard HTTP handlers', () => {
  it('GET /leaderboards lists the boards in the documented shape', async () => {
    const res = await createListBoardsHandler({ logger: silentLogger })(httpEvent({ method: 'GET', route: '/leaderboards', claims: claimsFor('alice') }), ctx);
    expect(res.statusCode).toBe(200);
    expect(boardsResponseSchema.parse(json(res)).boards.map((b) => b.id)).toContain(BOARD);
  });

  it('publish answers 202 with Location; past the hourly limit a 429 titled for publishing, with Retry-After', async () => {
    const s = setup();
    const jobId = await succeededJob(s, 'alice');
    const event = () =>
      httpEvent({ method: 'POST', route: '/backtests/{jobId}/publish', pathParameters: { jobId }, body: { board: BOARD, displayName: 'Alice T' }, claims: claimsFor('alice', 'pro') });
    const first = await s.publish(event(), ctx);
    expect(first.statusCode, first.body).toBe(202);
    const body = publishResponseSchema.parse(json(first));
    expect(first.headers?.Location).toBe(`/backtests/${body.outOfSampleJobId}`);
    for (let i = 1; i < 5; i++) expect((await s.publish(event(), ctx)).statusCode).toBe(202);
    const limited = await s.publish(event(), ctx);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers?.['Retry-After']).toBe('3600');
    expect(problemSchema.parse(json(limited))).toMatchObject({ title: 'Publishing too often', detail: expect.stringMatching(/^At most 5 publishes an hour/) });
  });

  it('GET /leaderboard/{board}: a page in the documented shape; a forged cursor is a 400 naming it; an unknown board 404', async () => {
    const s = setup();
    const ok = await s.rank(httpEvent({ method: 'GET', route: '/leaderboard/{board}', pathParameters: { board: BOARD }, claims: claimsFor('bob') }), ctx);
    expect(leaderboardPageSchema.parse(json(ok))).toMatchObject({ metric: 'sharpe', items: [], nextCursor: null });
    const bad = await s.rank(httpEvent({ method: 'GET', route: '/leaderboard/{board}', pathParameters: { board: BOARD }, query: { cursor: 'xx' }, claims: claimsFor('bob') }), ctx);
    expect(bad.statusCode).toBe(400);
    expect(problemSchema.parse(json(bad)).errors?.[0].path).toBe('cursor');
    const none = await s.rank(httpEvent({ method: 'GET', route: '/leaderboard/{board}', pathParameters: { board: 'nope' }, claims: claimsFor('bob') }), ctx);
    expect(none.statusCode).toBe(404);
  });
});

describe('leaderboard recorder (Jobs stream) and board watchers', () => {
  it('stores the entry when the out-of-sample job succeeds and pushes it to every watcher of the board, once', async () => {
    const s = setup();
    const jobId = await succeededJob(s, 'alice');
    const res = await s.publish(
      httpEvent({ method: 'POST', route: '/backtests/{jobId}/publish', pathParameters: { jobId }, body: { board: BOARD, displayName: 'Alice T' }, claims: claimsFor('alice', 'pro') }),
      ctx,
    );
    const { outOfSampleJobId } = publishResponseSchema.parse(json(res));
    // Two watchers of this board, one of another board, one of nothing.
    for (const c of ['w1', 'w2', 'w3', 'idle']) await s.w.connections.putConnection(c, `viewer-${c}`, s.w.clock.now());
    for (const [c, board] of [['w1', BOARD], ['w2', BOARD], ['w3', 'nvda-1d-2011']]) {
      await handleClientMessage(principal(`viewer-${c}`), c, JSON.stringify({ action: 'watchBoard', board }), { ...s.w, push: s.w.push });
    }
    expect(s.w.push.sent.map((m) => m.message)).toEqual([
      { type: 'watching', board: BOARD },
      { type: 'watching', board: BOARD },
      { type: 'watching', board: 'nvda-1d-2011' },
    ]);
    await handleClientMessage(principal('viewer-idle'), 'idle', JSON.stringify({ action: 'watchBoard', board: 'nope' }), s.w);
    expect(s.w.push.sent.at(-1)?.message).toMatchObject({ type: 'error', code: 'not_found', board: 'nope' });
    // A watcher whose token expires before the entry lands is told so and dropped, as job watchers are.
    const expiresAt = Math.floor(s.w.clock.now() / 1000) + 1;
    await s.w.connections.putConnection('late', 'viewer-late', s.w.clock.now(), expiresAt);
    await handleClientMessage({ ...principal('viewer-late'), tokenExpiresAt: expiresAt }, 'late', JSON.stringify({ action: 'watchBoard', board: BOARD }), s.w);
    s.w.clock.advance(5_000);
    s.w.push.sent.length = 0;

    const running = (await s.w.jobs.get(outOfSampleJobId))!;
    await processJob(s.w.queue.messages.pro.shift(), 1, { jobs: s.w.jobs, marketData: s.w.marketData, clock: s.w.clock, random: () => 0 });
    const done = (await s.w.jobs.get(outOfSampleJobId))!;
    const unrelated: Job = { ...done, jobId: 'someone-elses-job' };
    const out = await s.recorder(streamEvent(jobStreamRecord({ oldJob: { ...running, status: 'running' }, newJob: done }), jobStreamRecord({ oldJob: { ...unrelated, status: 'running' }, newJob: unrelated })), ctx);
    expect(out.batchItemFailures).toEqual([]);
    expect(s.w.push.sent.filter((m) => (m.message as { type: string }).type === 'leaderboard').map((m) => m.connectionId).sort()).toEqual(['w1', 'w2']);
    expect(s.w.push.sent.find((m) => m.connectionId === 'late')?.message).toMatchObject({ type: 'error', code: 'token_expired' });
    expect(await s.w.connections.getConnection('late')).toBeUndefined();
    s.w.push.sent.splice(s.w.push.sent.findIndex((m) => m.connectionId === 'late'), 1);
    expect(s.w.push.sent[0].message).toMatchObject({ type: 'leaderboard', board: BOARD, entry: { displayName: 'Alice T', outOfSample: { stats: { sharpe: done.result!.stats.sharpe } } } });

    // A redelivery changes nothing and pushes nothing.
    s.w.push.sent.length = 0;
    await s.recorder(streamEvent(jobStreamRecord({ oldJob: { ...running, status: 'running' }, newJob: done })), ctx);
    expect(s.w.push.sent).toEqual([]);
    const page = leaderboardPageSchema.parse(json(await s.rank(httpEvent({ method: 'GET', route: '/leaderboard/{board}', pathParameters: { board: BOARD }, claims: claimsFor('bob') }), ctx)));
    expect(page.items).toHaveLength(1);
  });

  it('a store failure is a batch item failure, so the mapping retries the record', async () => {
    const s = setup();
    const done = (await s.w.jobs.get(await succeededJob(s, 'alice')))!;
    s.store.getPending = async () => Promise.reject(new Error('table unavailable'));
    const out = await s.recorder(streamEvent(jobStreamRecord({ oldJob: { ...done, status: 'running' }, newJob: done })), ctx);
    expect(out.batchItemFailures).toHaveLength(1);
  });
});
