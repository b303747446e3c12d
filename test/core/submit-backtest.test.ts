import { describe, expect, it } from 'vitest';
import { IdempotencyConflictError, InsufficientCreditsError, RateLimitedError, ServiceUnavailableError, ValidationError } from '../../lambdas/core/errors.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { MAX_BAR_EVALUATIONS } from '../../lambdas/core/use-cases/work-estimate.ts';
import { principal, submitBody, world } from './support.ts';

async function issuesOf(promise: Promise<unknown>): Promise<{ path: string; message: string }[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
}

describe('submitBacktest', () => {
  it('creates a queued job, charges a credit, counts the day and enqueues one message on the tier queue', async () => {
    const w = world();
    const res = await submitBacktest(principal('alice', 'basic'), submitBody(), undefined, w);
    expect(res).toMatchObject({ jobId: 'job-0001', status: 'queued', tier: 'basic', createdAt: '2024-03-01T12:00:00.000Z', combinations: 1, replayed: false });
    expect(res.links.self).toBe('/backtests/job-0001');
    expect(w.queue.messages.basic).toEqual([{ jobId: 'job-0001', userId: 'alice', tier: 'basic' }]);
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.basic.initialCredits - 1);
    expect(w.jobs.submissionsOn('alice', '2024-03-01')).toBe(1);
    const stored = await w.jobs.get('job-0001');
    // Defaults are applied before storing, so the worker runs exactly what was validated.
    expect(stored?.request).toMatchObject({ initialCash: 10_000, commission: 0, sizing: 'all-in', fractional: false });
  });

  it('names every offending field with a dotted path, unknown keys included', async () => {
    const w = world();
    const issues = await issuesOf(
      submitBacktest(principal(), { ...submitBody({ timeframe: '2h', sizing: { units: -1 } }), tier: 'pro', strategyId: 7 }, undefined, w),
    );
    const paths = issues.map((i) => i.path).sort();
    expect(paths).toEqual(['sizing.units', 'strategyId', 'tier', 'timeframe']);
    expect(issues.find((i) => i.path === 'tier')?.message).toBe('is not an allowed field');
    expect(w.queue.all()).toHaveLength(0);
  });

  it('passes engine parameter errors through with their field path (params.fast)', async () => {
    const w = world();
    const issues = await issuesOf(submitBacktest(principal(), submitBody({ params: { fast: 50, slow: 20 } }), undefined, w));
    expect(issues.map((i) => i.path)).toContain('params.fast');
    expect(w.jobs.count()).toBe(0);
  });

  it('refuses a grid larger than the tier allows, before charging anything', async () => {
    const w = world();
    const grid = { fast: { from: 2, to: 21, step: 1 }, slow: { from: 30, to: 39, step: 1 } }; // 200 combinations
    const issues = await issuesOf(submitBacktest(principal('alice', 'free'), submitBody({ params: grid }), undefined, w));
    expect(issues[0]).toMatchObject({ path: 'params' });
    expect(issues[0].message).toContain('200 combinations');
    expect(w.jobs.credits('alice')).toBeUndefined();
    const pro = await submitBacktest(principal('bob', 'pro'), submitBody({ params: grid }), undefined, w);
    expect(pro.combinations).toBe(200);
  });

  it('refuses work above the tier limit (free: minute bars with no start date)', async () => {
    const w = world();
    const body = submitBody({ timeframe: '1m', startDate: undefined, endDate: undefined, params: { fast: [5, 10], slow: [30, 40] } });
    const issues = await issuesOf(submitBacktest(principal('p', 'free'), body, undefined, w));
    expect(issues[0].path).toBe('params');
    expect(issues[0].message).toContain(String(MAX_BAR_EVALUATIONS));
  });

  it('replays the same job for the same Idempotency-Key and body, without charging again', async () => {
    const w = world();
    const first = await submitBacktest(principal(), submitBody(), 'key-1', w);
    w.clock.advance(60_000);
    // Key order and explicit defaults do not make it a different request.
    const again = await submitBacktest(principal(), { commission: 0, ...submitBody() }, 'key-1', w);
    expect(again).toMatchObject({ jobId: first.jobId, replayed: true });
    expect(w.queue.all()).toHaveLength(1);
    expect(w.jobs.credits('alice')).toBe(TIER_SETTINGS.free.initialCredits - 1);
  });

  it('answers a different body under the same key with IdempotencyConflictError, and forgets keys after 24 h', async () => {
    const w = world();
    await submitBacktest(principal('bob', 'pro'), submitBody(), 'key-1', w);
    await expect(submitBacktest(principal('bob', 'pro'), submitBody({ symbol: 'SYNTH-B' }), 'key-1', w)).rejects.toBeInstanceOf(IdempotencyConflictError);
    w.clock.advance(24 * 3600_000 + 1000);
    const later = await submitBacktest(principal('bob', 'pro'), submitBody({ symbol: 'SYNTH-B' }), 'key-1', w);
    expect(later.replayed).toBe(false);
  });

  it('keeps keys per user: the same key from two users makes two jobs', async () => {
    const w = world();
    const a = await submitBacktest(principal('alice'), submitBody(), 'shared', w);
    const b = await submitBacktest(principal('bob'), submitBody(), 'shared', w);
    expect(a.jobId).not.toBe(b.jobId);
  });

  it('rejects a malformed Idempotency-Key by name', async () => {
    const w = world();
    const issues = await issuesOf(submitBacktest(principal(), submitBody(), 'has space', w));
    expect(issues[0].path).toBe('Idempotency-Key');
  });

  it('enforces the free daily limit (3) with a Retry-After until UTC midnight', async () => {
    const w = world();
    for (let i = 0; i < 3; i++) await submitBacktest(principal(), submitBody(), undefined, w);
    const error = await submitBacktest(principal(), submitBody(), undefined, w).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(12 * 3600);
    expect(w.jobs.count()).toBe(3);
    w.clock.set('2024-03-02T00:00:01.000Z');
    await expect(submitBacktest(principal(), submitBody(), undefined, w)).resolves.toMatchObject({ status: 'queued' });
  });

  it('refuses a submit without credits and charges nothing', async () => {
    const w = world();
    w.jobs.setCredits('carol', 0);
    await expect(submitBacktest(principal('carol', 'basic'), submitBody(), undefined, w)).rejects.toBeInstanceOf(InsufficientCreditsError);
    expect(w.jobs.count()).toBe(0);
    expect(w.jobs.submissionsOn('carol', '2024-03-01')).toBe(0);
  });

  it('fails the job with a refund and throws ServiceUnavailableError when the queue send fails', async () => {
    const w = world();
    w.queue.failSends = 1;
    await expect(submitBacktest(principal('dave', 'basic'), submitBody(), undefined, w)).rejects.toBeInstanceOf(ServiceUnavailableError);
    const job = await w.jobs.get('job-0001');
    expect(job).toMatchObject({ status: 'failed', error: { code: 'enqueue_failed' } });
    expect(w.jobs.credits('dave')).toBe(TIER_SETTINGS.basic.initialCredits);
    expect(await w.jobs.listLive('basic', 'queued', 10)).toEqual([]);
  });
});
