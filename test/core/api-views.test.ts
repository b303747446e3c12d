import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, RateLimitedError, ServiceUnavailableError, ValidationError } from '../../lambdas/core/errors.ts';
import type { SymbolEntry } from '../../lambdas/core/ports/symbol-catalog.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { getMe, nextUtcMidnight } from '../../lambdas/core/use-cases/me.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { getJob } from '../../lambdas/core/use-cases/read-jobs.ts';
import { drawdownPct, getEquity, getSweep, getTrades } from '../../lambdas/core/use-cases/result-views.ts';
import { firstSentence, listStrategyViews, strategyName } from '../../lambdas/core/use-cases/strategies.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { listSymbols } from '../../lambdas/core/use-cases/symbols.ts';
import { MAX_BAR_EVALUATIONS } from '../../lambdas/core/use-cases/work-estimate.ts';
import { InMemoryAccountStore, InMemorySymbolCatalog } from '../support/fakes/index.ts';
import { principal, submitBody, world } from './support.ts';

const day = (s: string) => Date.parse(`${s}T00:00:00Z`);
const ORCL: SymbolEntry = { symbol: 'ORCL', timeframe: '1d', firstBarMs: day('2004-01-02'), lastBarMs: day('2013-12-31'), bars: 2516, source: 'csv' };
const EURUSD: SymbolEntry = { symbol: 'EURUSD', timeframe: '1h', firstBarMs: Date.parse('2017-01-02T00:00:00Z'), lastBarMs: Date.parse('2017-12-29T20:00:00Z'), bars: 6200, source: 'csv' };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

async function succeededJob(w: ReturnType<typeof world>, body: Record<string, unknown>) {
  const { jobId } = await submitBacktest(principal('alice', 'pro'), body, undefined, w);
  await processJob(w.queue.messages.pro.at(-1), 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });
  return jobId;
}

describe('GET /me', () => {
  it("reports the token's tier, starting credits before any submit, today's count and the next UTC midnight", async () => {
    const w = world();
    const accounts = new InMemoryAccountStore(w.jobs);
    const before = await getMe(principal('alice', 'free'), { accounts, clock: w.clock });
    expect(before).toEqual({
      userId: 'alice',
      tier: 'free',
      admin: false,
      credits: TIER_SETTINGS.free.initialCredits,
      creditsPerJob: 1,
      submissionsToday: 0,
      dailyLimit: 3,
      dailyResetAt: '2024-03-02T00:00:00.000Z',
      limits: { maxCombinations: TIER_SETTINGS.free.maxCombinations, maxBarEvaluations: MAX_BAR_EVALUATIONS },
    });
    await submitBacktest(principal('alice', 'free'), submitBody(), undefined, w);
    await submitBacktest(principal('alice', 'free'), submitBody(), undefined, w);
    const after = await getMe(principal('alice', 'free'), { accounts, clock: w.clock });
    expect(after).toMatchObject({ credits: TIER_SETTINGS.free.initialCredits - 2, submissionsToday: 2 });
    expect(await getMe(principal('root', 'pro', true), { accounts, clock: w.clock })).toMatchObject({ admin: true, dailyLimit: null });
  });

  it('names the reset moment as the next 00:00 UTC, also right at midnight', () => {
    expect(nextUtcMidnight(Date.parse('2026-11-28T23:59:59.999Z'))).toBe('2026-11-29T00:00:00.000Z');
    expect(nextUtcMidnight(Date.parse('2026-11-29T00:00:00.000Z'))).toBe('2026-11-30T00:00:00.000Z');
    expect(nextUtcMidnight(Date.parse('2026-12-31T12:00:00Z'))).toBe('2027-01-01T00:00:00.000Z');
  });

  it('a refused daily limit carries the reset time the 429 names', async () => {
    const w = world();
    for (let i = 0; i < 3; i++) await submitBacktest(principal('alice', 'free'), submitBody(), undefined, w);
    const error = await rejection(submitBacktest(principal('alice', 'free'), submitBody(), undefined, w));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).resetAt).toBe('2024-03-02T00:00:00.000Z');
    expect((error as RateLimitedError).retryAfterSeconds).toBe(12 * 3600);
  });
});

describe('GET /strategies', () => {
  it('gives each strategy a name, one-line description and its zod schema as JSON Schema with defaults, bounds, descriptions', () => {
    const { items } = listStrategyViews();
    expect(items.map((s) => s.id)).toEqual(expect.arrayContaining(['buy-and-hold', 'sma-cross', 'macd-cross']));
    const sma = items.find((s) => s.id === 'sma-cross')!;
    expect(sma.name).toBe('SMA cross');
    expect(sma.description).toBe('Fast SMA crossing the slow SMA (strict cross).');
    expect(sma.description).not.toContain('\n');
    expect(sma.parameters).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: {
        fast: { type: 'integer', default: 10, minimum: 1, maximum: 100_000, description: expect.stringContaining('fast SMA period') },
        slow: { type: 'integer', default: 30, minimum: 2 },
        allowShort: { type: 'boolean', default: false },
      },
    });
    expect(sma.parameters).not.toHaveProperty('$schema');
    // Every parameter of every strategy is described.
    for (const s of items) for (const p of Object.values(s.parameters.properties)) expect(p.description, s.id).toEqual(expect.any(String));
  });

  it('makes names and first sentences', () => {
    expect(strategyName('buy-and-hold')).toBe('Buy and hold');
    expect(strategyName('macd-cross')).toBe('MACD cross');
    expect(firstSentence('Long when a > b. Then more.')).toBe('Long when a > b.');
    expect(firstSentence('No period at all')).toBe('No period at all');
    expect(firstSentence('Uses 1.5 sigma bands. More.')).toBe('Uses 1.5 sigma bands.');
  });
});

describe('GET /symbols', () => {
  const entries = ['AAA', 'BBB', 'CCC'].flatMap((symbol): SymbolEntry[] => [
    { ...ORCL, symbol, timeframe: '1d' },
    { ...EURUSD, symbol, timeframe: '1h' },
  ]);

  it('pages by symbol then bar size, and always names the synthetic pattern', async () => {
    const symbols = new InMemorySymbolCatalog([...entries].reverse());
    const first = await listSymbols({ limit: '4' }, { symbols });
    expect(first.items.map((i) => `${i.symbol}/${i.timeframe}`)).toEqual(['AAA/1h', 'AAA/1d', 'BBB/1h', 'BBB/1d']);
    expect(first.items[1]).toEqual({ symbol: 'AAA', timeframe: '1d', firstBar: '2004-01-02', lastBar: '2013-12-31', bars: 2516, source: 'csv' });
    expect(first.items[0].firstBar).toBe('2017-01-02T00:00:00.000Z');
    expect(first.synthetic).toMatchObject({ pattern: 'SYNTH-*', timeframes: ['1m', '5m', '15m', '1h', '1d'] });
    expect(first.nextCursor).toBe('BBB/1d');
    const second = await listSymbols({ limit: '4', cursor: first.nextCursor! }, { symbols });
    expect(second.items.map((i) => `${i.symbol}/${i.timeframe}`)).toEqual(['CCC/1h', 'CCC/1d']);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses a bad limit or cursor naming the field', async () => {
    const symbols = new InMemorySymbolCatalog(entries);
    const error = (await rejection(listSymbols({ limit: '0', cursor: 'no slash' }, { symbols }))) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((i) => i.path)).toEqual(['limit', 'cursor']);
    expect(symbols.lists).toBe(0);
  });
});

describe('submit checks the symbol and dates against the listing', () => {
  function withCatalog(entries: SymbolEntry[] = [ORCL, EURUSD]) {
    const w = world();
    return { ...w, symbols: new InMemorySymbolCatalog(entries) };
  }

  it('refuses an unknown symbol naming what exists, and charges nothing', async () => {
    const w = withCatalog();
    const error = (await rejection(submitBacktest(principal(), submitBody({ symbol: 'NOPE' }), undefined, w))) as ValidationError;
    expect(error.issues).toEqual([{ path: 'symbol', message: expect.stringContaining('unknown symbol NOPE; known: ORCL, EURUSD') }]);
    expect(error.issues[0].message).toContain('SYNTH-*');
    expect(w.jobs.count()).toBe(0);
    expect(w.jobs.credits('alice')).toBeUndefined();
  });

  it('refuses a timeframe the symbol lacks, and dates entirely outside its data, naming the range', async () => {
    const w = withCatalog();
    const tf = (await rejection(submitBacktest(principal(), submitBody({ symbol: 'ORCL', timeframe: '1h' }), undefined, w))) as ValidationError;
    expect(tf.issues).toEqual([{ path: 'timeframe', message: 'ORCL has no 1h data; it has 1d' }]);
    const late = (await rejection(submitBacktest(principal(), submitBody({ symbol: 'ORCL', startDate: '2014-01-01', endDate: '2015-01-01' }), undefined, w))) as ValidationError;
    expect(late.issues).toEqual([{ path: 'startDate', message: 'is after the last bar: ORCL 1d data runs from 2004-01-02 to 2013-12-31' }]);
    const early = (await rejection(submitBacktest(principal(), submitBody({ symbol: 'orcl', startDate: '1990-01-01', endDate: '2004-01-01' }), undefined, w))) as ValidationError;
    expect(early.issues).toEqual([{ path: 'endDate', message: 'is before the first bar: ORCL 1d data runs from 2004-01-02 to 2013-12-31' }]);
    expect(w.jobs.count()).toBe(0);
  });

  it('accepts a range that overlaps the data in part, any case of a known symbol, and any SYNTH-* name', async () => {
    const w = withCatalog();
    await expect(submitBacktest(principal('a', 'pro'), submitBody({ symbol: 'orcl', startDate: '2000-01-01', endDate: '2005-01-01' }), undefined, w)).resolves.toMatchObject({ status: 'queued' });
    await expect(submitBacktest(principal('a', 'pro'), submitBody({ symbol: 'SYNTH-ANYTHING', timeframe: '5m', startDate: '2024-01-01', endDate: '2024-01-31' }), undefined, w)).resolves.toMatchObject({ status: 'queued' });
    await expect(submitBacktest(principal('a', 'pro'), submitBody({ symbol: 'ORCL', startDate: undefined, endDate: undefined }), undefined, w)).resolves.toMatchObject({ status: 'queued' });
  });

  it('answers 503 when the listing cannot be read for a real symbol, charging nothing; SYNTH-* needs no listing', async () => {
    const w = withCatalog();
    w.symbols.failNext = 2;
    const error = await rejection(submitBacktest(principal(), submitBody({ symbol: 'ORCL' }), undefined, w));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(w.jobs.count()).toBe(0);
    const lists = w.symbols.lists;
    await expect(submitBacktest(principal(), submitBody({ symbol: 'SYNTH-A' }), undefined, w)).resolves.toMatchObject({ status: 'queued' });
    expect(w.symbols.lists).toBe(lists);
  });

  it('says when no real data is loaded at all', async () => {
    const w = withCatalog([]);
    const error = (await rejection(submitBacktest(principal(), submitBody({ symbol: 'ORCL' }), undefined, w))) as ValidationError;
    expect(error.issues[0].message).toContain('no market data is loaded');
  });
});

describe('queue position', () => {
  it('counts the queued jobs of the same tier created before a queued job, and is absent once it runs', async () => {
    const w = world();
    const ids: string[] = [];
    for (const [user, tier] of [['a', 'pro'], ['b', 'free'], ['c', 'pro'], ['d', 'pro']] as const) {
      ids.push((await submitBacktest(principal(user, tier), submitBody(), undefined, w)).jobId);
      w.clock.advance(1000);
    }
    expect((await getJob(principal('a', 'pro'), ids[0], w)).queuePosition).toBe(0);
    expect((await getJob(principal('b', 'free'), ids[1], w)).queuePosition).toBe(0);
    expect((await getJob(principal('d', 'pro'), ids[3], w)).queuePosition).toBe(2);

    await processJob(w.queue.messages.pro[0], 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });
    expect((await getJob(principal('d', 'pro'), ids[3], w)).queuePosition).toBe(1);
    expect(await getJob(principal('a', 'pro'), ids[0], w)).not.toHaveProperty('queuePosition');
  });
});

describe('job view and result sub-resources', () => {
  it('keeps the job view small and links the equity, trades and sweep of a succeeded sweep', async () => {
    const w = world();
    const jobId = await succeededJob(w, submitBody({ params: { fast: [5, 10, 20], slow: [30, 40, 60] }, sweep: { top: 5 } }));
    const view = await getJob(principal('alice', 'pro'), jobId, w);
    expect(view.status).toBe('succeeded');
    expect(view.links).toEqual({ self: `/backtests/${jobId}`, equity: `/backtests/${jobId}/equity`, trades: `/backtests/${jobId}/trades`, sweep: `/backtests/${jobId}/sweep` });
    expect(view.result?.sweep?.top).toHaveLength(5);
    expect(view.result).not.toHaveProperty('sweep.grid');
    expect(JSON.stringify(view).length).toBeLessThan(8 * 1024);

    const sweep = await getSweep(principal('alice', 'pro'), jobId, w);
    expect(sweep.combinations).toBe(9);
    expect(sweep.grid).toMatchObject({ params: ['fast', 'slow'], values: { fast: [5, 10, 20], slow: [30, 40, 60] } });
    expect(sweep.grid!.metric).toHaveLength(9);
    expect(sweep.top[0].params).toEqual(view.result?.params);
  });

  it('serves the equity curve with drawdown <= 0 that is 0 at each new high', async () => {
    const w = world();
    const jobId = await succeededJob(w, submitBody());
    const eq = await getEquity(principal('alice', 'pro'), jobId, w);
    expect(eq.time.length).toBe(eq.equity.length);
    expect(eq.drawdownPct.length).toBe(eq.equity.length);
    expect(eq.drawdownPct.every((d) => d <= 0)).toBe(true);
    expect(Math.min(...eq.drawdownPct)).toBeLessThan(0);
    expect(drawdownPct([100, 110, 99, 121, 60.5])).toEqual([0, 0, (99 / 110 - 1) * 100, 0, -50]);
  });

  it('pages the stored trades with a cursor and reports total and stored', async () => {
    const w = world();
    const jobId = await succeededJob(w, submitBody({ params: { fast: 2, slow: 5 } }));
    const all = await getTrades(principal('alice', 'pro'), jobId, { limit: '1000' }, w);
    expect(all.stored).toBe(all.items.length);
    expect(all.total).toBeGreaterThanOrEqual(all.stored);
    expect(all.stored).toBeGreaterThan(10);
    const first = await getTrades(principal('alice', 'pro'), jobId, { limit: '7' }, w);
    expect(first.items).toEqual(all.items.slice(0, 7));
    expect(first.nextCursor).toBe('7');
    const second = await getTrades(principal('alice', 'pro'), jobId, { limit: '7', cursor: first.nextCursor! }, w);
    expect(second.items).toEqual(all.items.slice(7, 14));
    const last = await getTrades(principal('alice', 'pro'), jobId, { cursor: String(all.stored - 1) }, w);
    expect(last.items).toHaveLength(1);
    expect(last.nextCursor).toBeNull();
    const bad = (await rejection(getTrades(principal('alice', 'pro'), jobId, { limit: '5000', cursor: '-1' }, w))) as ValidationError;
    expect(bad.issues.map((i) => i.path)).toEqual(['limit', 'cursor']);
  });

  it("answers 409 before the job succeeded, 404 for a non-sweep's sweep and for another user's job", async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    const queued = await rejection(getEquity(principal('alice', 'pro'), jobId, w));
    expect(queued).toBeInstanceOf(ConflictError);
    expect((queued as Error).message).toContain('is queued');
    const view = await getJob(principal('alice', 'pro'), jobId, w);
    expect(view.links).toEqual({ self: `/backtests/${jobId}` });

    await processJob(w.queue.messages.pro[0], 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });
    expect(await rejection(getSweep(principal('alice', 'pro'), jobId, w))).toBeInstanceOf(NotFoundError);
    expect(await rejection(getTrades(principal('mallory', 'pro'), jobId, {}, w))).toBeInstanceOf(NotFoundError);
    expect(await rejection(getEquity(principal('mallory', 'pro'), jobId, w))).toBeInstanceOf(NotFoundError);
    await expect(getEquity(principal('root', 'free', true), jobId, w)).resolves.toMatchObject({ time: expect.any(Array) });
  });
});
