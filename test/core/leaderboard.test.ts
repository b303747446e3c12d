import { describe, expect, it } from 'vitest';
import { barsFingerprint, ENGINE_VERSION } from '../../engine/fingerprint.ts';
import { runBacktest, sliceByTime, syntheticSeries, UnknownSymbolError } from '../../engine/index.ts';
import type { Board } from '../../lambdas/core/board.ts';
import { ConflictError, NotFoundError, RateLimitedError, ValidationError } from '../../lambdas/core/errors.ts';
import { rankKey, type LeaderboardEntry } from '../../lambdas/core/leaderboard-entry.ts';
import type { Tier } from '../../lambdas/core/tiers.ts';
import { requestRangeMs, specFromRequest } from '../../lambdas/core/use-cases/backtest-spec.ts';
import { copyEntry } from '../../lambdas/core/use-cases/copy-entry.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { publishEntry, type PublishDeps } from '../../lambdas/core/use-cases/publish-entry.ts';
import { rankBoard } from '../../lambdas/core/use-cases/read-leaderboard.ts';
import { recordPublication } from '../../lambdas/core/use-cases/record-publication.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { unpublishEntry } from '../../lambdas/core/use-cases/unpublish-entry.ts';
import { InMemoryLeaderboardStore } from '../support/fakes/in-memory-leaderboard-store.ts';
import { principal, world } from './support.ts';

const BOARD: Board = {
  id: 'synth-a-1d',
  title: 'SYNTH-A daily: tune 2005-2012, ranked 2013-2016',
  symbol: 'SYNTH-A',
  timeframe: '1d',
  inSample: { startDate: '2005-01-01', endDate: '2012-12-31' },
  outOfSample: { startDate: '2013-01-01', endDate: '2016-12-31' },
};
const BOARDS = [BOARD];

type World = ReturnType<typeof world> & { store: InMemoryLeaderboardStore };

function lb(): World {
  return { ...world(), store: new InMemoryLeaderboardStore() };
}

function publishDeps(w: World, extra: Partial<PublishDeps> = {}): PublishDeps {
  return { jobs: w.jobs, store: w.store, marketData: w.marketData, clock: w.clock, submit: { jobs: w.jobs, queue: w.queue, clock: w.clock, newJobId: w.newJobId }, boards: BOARDS, ...extra };
}

/** Runs every queued message of every tier until the queues are empty (fan-out chunks included). */
async function drain(w: World): Promise<void> {
  for (;;) {
    const next = (['pro', 'basic', 'free'] as Tier[]).map((t) => w.queue.messages[t].shift()).find((m) => m !== undefined);
    if (!next) return;
    await processJob(next, 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock, queue: w.queue, random: () => 0 });
  }
}

/** A succeeded job of `user` on the board's in-sample window. */
async function tunedJob(w: World, user: string, params: Record<string, unknown>, overrides: Record<string, unknown> = {}): Promise<string> {
  const body = { strategyId: 'sma-cross', params, symbol: 'SYNTH-A', timeframe: '1d', ...BOARD.inSample, ...overrides };
  const { jobId } = await submitBacktest(principal(user, 'pro'), body, undefined, { jobs: w.jobs, queue: w.queue, clock: w.clock, newJobId: w.newJobId });
  await drain(w);
  return jobId;
}

/** Publishes and runs the out-of-sample job; returns the stored outcome. */
async function publishAndRecord(w: World, user: string, jobId: string, displayName: string) {
  const res = await publishEntry(principal(user, 'pro'), jobId, { board: BOARD.id, displayName }, publishDeps(w));
  await drain(w);
  const oos = await w.jobs.get(res.outOfSampleJobId);
  return { res, oos: oos!, outcome: await recordPublication(oos!, { store: w.store, clock: w.clock }) };
}

describe('publish: the out-of-sample re-run and the stored entry', () => {
  it("re-runs a sweep's winner on the out-of-sample window as the publisher's own job; the entry holds exactly the engine's numbers for both windows", async () => {
    const w = lb();
    const jobId = await tunedJob(w, 'alice', { fast: [5, 10, 20], slow: [30, 50] });
    const tuned = (await w.jobs.get(jobId))!;
    const { res, oos, outcome } = await publishAndRecord(w, 'alice', jobId, 'Alice T');

    expect(oos.userId).toBe('alice');
    expect(oos.tier).toBe('pro');
    expect(oos.request).toMatchObject({ params: tuned.result!.params, ...BOARD.outOfSample, symbol: 'SYNTH-A' });
    expect(outcome.kind).toBe('stored');
    const entry = (outcome as { entry: LeaderboardEntry }).entry;

    // The engine run on that period, outside the service, gives the very same numbers.
    const all = syntheticSeries('SYNTH-A', '1d', Date.UTC(2000, 0, 1), Date.UTC(2023, 11, 31));
    const { startMs, endMs } = requestRangeMs(BOARD.outOfSample);
    const oosBars = sliceByTime(all, startMs, endMs);
    const spec = specFromRequest({ ...oos.request });
    const direct = await runBacktest(oosBars, spec);
    expect(entry.outOfSample.stats).toEqual(direct.stats);
    expect(entry.inSample.stats).toEqual(tuned.result!.stats);
    expect(entry.params).toEqual(tuned.result!.params);
    expect(entry.gap.sharpe).toBeCloseTo(direct.stats.sharpe - tuned.result!.stats.sharpe, 12);
    expect(entry.engineVersion).toBe(ENGINE_VERSION);
    expect(entry.outOfSample.barsSha256).toBe(barsFingerprint(oosBars));
    expect(entry.deflatedSharpe.trials).toBe(6);
    expect(entry.deflatedSharpe.varianceBasis).toBe('all');
    expect(entry.deflatedSharpe.probability).toBeGreaterThanOrEqual(0);
    expect(entry.deflatedSharpe.probability).toBeLessThanOrEqual(1);
    expect(w.store.pendingCount()).toBe(0);
    expect(res.status).toBe('pending');

    // Re-running the entry (its params and costs, on bars with its fingerprint) reproduces it exactly.
    const { startMs: s2, endMs: e2 } = requestRangeMs(entry.outOfSample);
    const again = sliceByTime(all, s2, e2);
    expect(barsFingerprint(again)).toBe(entry.outOfSample.barsSha256);
    const rerun = await runBacktest(again, specFromRequest({ strategyId: entry.strategyId, params: entry.params, symbol: 'SYNTH-A', timeframe: '1d', ...entry.costs }));
    expect(rerun.stats).toEqual(entry.outOfSample.stats);
  });

  it('refuses a job tuned on another window and says what differs; changes nothing', async () => {
    const w = lb();
    const jobId = await tunedJob(w, 'alice', { fast: 10, slow: 30 }, { startDate: '2006-01-01' });
    const error = await publishEntry(principal('alice', 'pro'), jobId, { board: BOARD.id, displayName: 'Alice T' }, publishDeps(w)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'startDate', message: `is 2006-01-01; board ${BOARD.id} tunes from 2005-01-01` }]);
    expect(w.store.pendingCount()).toBe(0);
    expect(w.queue.all()).toHaveLength(0);
  });

  it("refuses another user's job as not found, and a failed job as a conflict", async () => {
    const w = lb();
    const jobId = await tunedJob(w, 'alice', { fast: 10, slow: 30 });
    await expect(publishEntry(principal('bob', 'pro'), jobId, { board: BOARD.id, displayName: 'Bob B' }, publishDeps(w))).rejects.toBeInstanceOf(NotFoundError);

    const body = { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-A', timeframe: '1d', ...BOARD.inSample };
    const { jobId: failedId } = await submitBacktest(principal('alice', 'pro'), body, undefined, { jobs: w.jobs, queue: w.queue, clock: w.clock, newJobId: w.newJobId });
    // The data is gone when the worker runs it: an unrecoverable failure, at once.
    const gone = { load: async () => Promise.reject(new UnknownSymbolError('SYNTH-A', 'removed')) };
    await processJob(w.queue.messages.pro.shift(), 1, { jobs: w.jobs, marketData: gone, clock: w.clock, random: () => 0 });
    expect((await w.jobs.get(failedId))!.status).toBe('failed');
    const e = await publishEntry(principal('alice', 'pro'), failedId, { board: BOARD.id, displayName: 'Alice T' }, publishDeps(w)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect((e as Error).message).toBe(`Only a succeeded job can be published; job ${failedId} is failed`);
    expect(w.store.pendingCount()).toBe(0);
  });

  it('refuses reserved and malformed display names and unknown boards with the field named', async () => {
    const w = lb();
    const jobId = await tunedJob(w, 'alice', { fast: 10, slow: 30 });
    for (const displayName of ['Admin', 'backtest-team', 'Official Picks', 'x', 'a'.repeat(33), '<script>', 'two  spaces']) {
      const e = await publishEntry(principal('alice', 'pro'), jobId, { board: BOARD.id, displayName }, publishDeps(w)).catch((x: unknown) => x);
      expect(e, displayName).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues[0].path).toBe('displayName');
    }
    const e = await publishEntry(principal('alice', 'pro'), jobId, { board: 'nope', displayName: 'Alice T' }, publishDeps(w)).catch((x: unknown) => x);
    expect((e as ValidationError).issues).toEqual([{ path: 'board', message: 'is not a board (GET /leaderboards lists them)' }]);
    expect(w.store.pendingCount()).toBe(0);
  });

  it('rate-limits publishing per user and hour', async () => {
    const w = lb();
    const jobId = await tunedJob(w, 'alice', { fast: 10, slow: 30 });
    const deps = publishDeps(w, { publishesPerHour: 2 });
    await publishEntry(principal('alice', 'pro'), jobId, { board: BOARD.id, displayName: 'Alice T' }, deps);
    await publishEntry(principal('alice', 'pro'), jobId, { board: BOARD.id, displayName: 'Alice T' }, deps);
    const e = await publishEntry(principal('alice', 'pro'), jobId, { board: BOARD.id, displayName: 'Alice T' }, deps).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as RateLimitedError).message).toBe('At most 2 publishes an hour');
    expect((e as RateLimitedError).retryAfterSeconds).toBe(3600); // the clock is at 12:00:00; the window is the UTC hour
    expect(w.store.pendingCount()).toBe(2);
  });

  it('keeps one entry per user, strategy and board: a better one replaces it, a worse one does not; DELETE unpublishes', async () => {
    const w = lb();
    const a = await tunedJob(w, 'alice', { fast: 10, slow: 30 });
    const b = await tunedJob(w, 'alice', { fast: 20, slow: 50 });
    const first = await publishAndRecord(w, 'alice', a, 'Alice T');
    const second = await publishAndRecord(w, 'alice', b, 'Alice T');
    const page = await rankBoard(BOARD.id, {}, { store: w.store, boards: BOARDS });
    expect(page.items).toHaveLength(1);
    const best = [first, second].map((x) => (x.outcome as { entry: LeaderboardEntry }).entry).sort((x, y) => y.outOfSample.stats.sharpe - x.outOfSample.stats.sharpe)[0];
    expect(page.items[0].params).toEqual(best.params);
    expect(second.outcome.kind).toBe(first.outcome.kind === 'stored' && best.params.fast === 20 ? 'replaced' : 'kept-previous');

    await expect(unpublishEntry(principal('bob'), a, BOARD.id, { jobs: w.jobs, store: w.store, boards: BOARDS })).rejects.toBeInstanceOf(NotFoundError);
    await unpublishEntry(principal('alice'), a, BOARD.id, { jobs: w.jobs, store: w.store, boards: BOARDS });
    expect((await rankBoard(BOARD.id, {}, { store: w.store, boards: BOARDS })).items).toHaveLength(0);
  });

  it('a failed out-of-sample job leaves no entry and no pending publication', async () => {
    const w = lb();
    const jobId = await tunedJob(w, 'alice', { fast: 10, slow: 30 });
    const res = await publishEntry(principal('alice', 'pro'), jobId, { board: BOARD.id, displayName: 'Alice T' }, publishDeps(w));
    const gone = { load: async () => Promise.reject(new UnknownSymbolError('SYNTH-A', 'removed')) };
    await processJob(w.queue.messages.pro.shift(), 1, { jobs: w.jobs, marketData: gone, clock: w.clock, random: () => 0 });
    const job = (await w.jobs.get(res.outOfSampleJobId))!;
    expect(job.status).toBe('failed');
    expect(await recordPublication(job, { store: w.store, clock: w.clock })).toEqual({ kind: 'abandoned', status: 'failed' });
    expect(w.store.pendingCount()).toBe(0);
    expect((await rankBoard(BOARD.id, {}, { store: w.store, boards: BOARDS })).items).toHaveLength(0);
  });
});

describe('privacy', () => {
  it("another user's unpublished job, and a publication still running, never appear; entries carry no user id", async () => {
    const w = lb();
    await tunedJob(w, 'bob-the-secret', { fast: 5, slow: 30 });
    const aliceJob = await tunedJob(w, 'alice-the-secret', { fast: 10, slow: 30 });
    const res = await publishEntry(principal('alice-the-secret', 'pro'), aliceJob, { board: BOARD.id, displayName: 'Alice T' }, publishDeps(w));
    expect((await rankBoard(BOARD.id, {}, { store: w.store, boards: BOARDS })).items).toHaveLength(0);
    await drain(w);
    expect((await rankBoard(BOARD.id, {}, { store: w.store, boards: BOARDS })).items).toHaveLength(0);
    await recordPublication((await w.jobs.get(res.outOfSampleJobId))!, { store: w.store, clock: w.clock });
    const page = await rankBoard(BOARD.id, {}, { store: w.store, boards: BOARDS });
    expect(page.items).toHaveLength(1);
    expect(JSON.stringify(page)).not.toMatch(/secret/);
  });
});

describe('copy', () => {
  it("submits the entry's strategy, parameters and costs as the caller's own job, charged like any submit", async () => {
    const w = lb();
    const jobId = await tunedJob(w, 'alice', { fast: 10, slow: 30 }, { commission: 0.001 });
    const { outcome } = await publishAndRecord(w, 'alice', jobId, 'Alice T');
    const entry = (outcome as { entry: LeaderboardEntry }).entry;
    const submit = { jobs: w.jobs, queue: w.queue, clock: w.clock, newJobId: w.newJobId };
    const copied = await copyEntry(principal('carol', 'basic'), BOARD.id, entry.entryId, { startDate: '2014-01-01' }, undefined, { store: w.store, submit, boards: BOARDS });
    const job = (await w.jobs.get(copied.jobId))!;
    expect(job.userId).toBe('carol');
    expect(job.tier).toBe('basic');
    expect(job.creditsCharged).toBeGreaterThan(0);
    expect(job.request).toMatchObject({ strategyId: 'sma-cross', params: entry.params, commission: 0.001, startDate: '2014-01-01', endDate: BOARD.outOfSample.endDate });
    await expect(copyEntry(principal('carol'), BOARD.id, 'nope', {}, undefined, { store: w.store, submit, boards: BOARDS })).rejects.toBeInstanceOf(NotFoundError);
    const bad = await copyEntry(principal('carol'), BOARD.id, entry.entryId, { params: { fast: 1 } }, undefined, { store: w.store, submit, boards: BOARDS }).catch((e: unknown) => e);
    expect((bad as ValidationError).issues).toEqual([{ path: 'params', message: 'is not an allowed field' }]);
  });
});

/** An entry with the given out-of-sample Sharpe, for ranking tests that need many entries. */
function entryWith(id: string, sharpe: number, publishedAt: string, returnPct = 0): LeaderboardEntry {
  const stats = { sharpe, returnPct, maxDrawdownPct: -10, sortino: 0, calmar: 0 } as unknown as LeaderboardEntry['outOfSample']['stats'];
  return {
    entryId: id,
    board: BOARD.id,
    displayName: `N ${id}`,
    strategyId: 'sma-cross',
    params: { fast: 1 },
    costs: { initialCash: 10_000, commission: 0, slippageBps: 0, sizing: 'all-in', fractional: false },
    publishedAt,
    engineVersion: ENGINE_VERSION,
    inSample: { ...BOARD.inSample, stats, barsSha256: '' },
    outOfSample: { ...BOARD.outOfSample, stats, barsSha256: '' },
    gap: { sharpe: 0, returnPct: 0, cagrPct: 0, maxDrawdownPct: 0 },
    deflatedSharpe: { probability: 0.5, sharpe: 0, expectedMaxSharpe: 0, trials: 1, observations: 10, skewness: 0, kurtosis: 3, varianceBasis: 'single' },
  };
}

describe('ranking', () => {
  it('orders by the metric, best first; ties go to the earlier publication, then the entry id; no Sharpe ranks last', async () => {
    const w = lb();
    const put = (e: LeaderboardEntry) => w.store.replaceOwnerEntry(`owner-${e.entryId}`, undefined, e);
    await put(entryWith('c', 1.5, '2024-01-02T00:00:00.000Z'));
    await put(entryWith('a', 1.5, '2024-01-01T00:00:00.000Z'));
    await put(entryWith('b', 1.5, '2024-01-01T00:00:00.000Z'));
    await put(entryWith('d', -0.5, '2024-01-01T00:00:00.000Z', 50));
    await put(entryWith('e', Number.NaN, '2024-01-01T00:00:00.000Z', 10));
    await put(entryWith('f', 2, '2024-01-05T00:00:00.000Z', -5));
    const page = await rankBoard(BOARD.id, {}, { store: w.store, boards: BOARDS });
    expect(page.items.map((e) => [e.entryId, e.rank])).toEqual([['f', 1], ['a', 2], ['b', 3], ['c', 4], ['d', 5], ['e', 6]]);
    const byReturn = await rankBoard(BOARD.id, { metric: 'return' }, { store: w.store, boards: BOARDS });
    expect(byReturn.items.map((e) => e.entryId).slice(0, 2)).toEqual(['d', 'e']);
    await expect(rankBoard(BOARD.id, { metric: 'luck' }, { store: w.store, boards: BOARDS })).rejects.toBeInstanceOf(ValidationError);
    await expect(rankBoard('nope', {}, { store: w.store, boards: BOARDS })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rank keys sort as the numbers do, negatives and zero included', () => {
    const values = [-1e9, -3.5, -1, -1e-300, 0, 1e-300, 0.5, 1, 2.25, 1e9];
    const keys = values.map((v) => rankKey(v, 't', 'x'));
    expect([...keys].sort()).toEqual([...keys].reverse());
    expect(rankKey(-0, 't', 'x')).toBe(rankKey(0, 't', 'x'));
  });

  it('pages are stable while entries arrive: every entry present at the start is seen exactly once, in rank order', async () => {
    const w = lb();
    let n = 0;
    const arrive = async (count: number) => {
      const batch = Array.from({ length: count }, () => {
        n += 1;
        // Few distinct values, so many ties cross page boundaries.
        return entryWith(`e${String(n).padStart(3, '0')}`, (n * 7) % 5, `2024-01-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`);
      });
      await Promise.all(batch.map((e) => w.store.replaceOwnerEntry(`owner-${e.entryId}`, undefined, e)));
      return batch;
    };
    const initial = await arrive(40);
    const seen: string[] = [];
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rankBoard(BOARD.id, { limit: '7', ...(cursor ? { cursor } : {}) }, { store: w.store, boards: BOARDS });
      for (const e of page.items) {
        seen.push(e.entryId);
        keys.push(rankKey(e.outOfSample.stats.sharpe, e.publishedAt, e.entryId));
      }
      cursor = page.nextCursor ?? undefined;
      await arrive(3); // concurrent publishes between pages, some better than anything already read
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const e of initial) expect(seen).toContain(e.entryId);
    expect([...keys].sort()).toEqual(keys);
  });

  it('refuses a cursor of another metric or a forged one, naming the field', async () => {
    const w = lb();
    for (let i = 0; i < 3; i++) await w.store.replaceOwnerEntry(`o${i}`, undefined, entryWith(`x${i}`, i, '2024-01-01T00:00:00.000Z'));
    const first = await rankBoard(BOARD.id, { limit: '1' }, { store: w.store, boards: BOARDS });
    const e = await rankBoard(BOARD.id, { metric: 'return', cursor: first.nextCursor! }, { store: w.store, boards: BOARDS }).catch((x: unknown) => x);
    expect((e as ValidationError).issues[0].path).toBe('cursor');
    const forged = await rankBoard(BOARD.id, { cursor: 'not-base64-json' }, { store: w.store, boards: BOARDS }).catch((x: unknown) => x);
    expect((forged as ValidationError).issues[0].path).toBe('cursor');
  });
});
