import { describe, expect, it } from 'vitest';
import { createAdminCreditsHandler } from '../../lambdas/handlers/api/admin-credits-handler.ts';
import { createAdminTierHandler } from '../../lambdas/handlers/api/admin-tier-handler.ts';
import { createAdminUserHandler } from '../../lambdas/handlers/api/admin-user-handler.ts';
import { createSubmitHandler } from '../../lambdas/handlers/api/submit-handler.ts';
import { createRequeueStuckHandler } from '../../lambdas/handlers/sweeper/requeue-stuck-handler.ts';
import type { HttpResult } from '../../lambdas/handlers/shared/http.ts';
import { STUCK_AFTER_MS } from '../../lambdas/core/use-cases/requeue-stuck-jobs.ts';
import { submitBody, world } from '../core/support.ts';
import { claimsFor, httpEvent, lambdaContext } from '../support/events/index.ts';
import { InMemoryAccountStore, InMemoryUserDirectory } from '../support/fakes/index.ts';
import { silentMetrics } from './emf.ts';
import { silentLogger } from './silent-logger.ts';

const ctx = lambdaContext();
const ADMIN = { sub: 'root', admin: 'true' };
const bodyOf = (res: HttpResult) => JSON.parse(res.body ?? 'null');

function adminWorld() {
  const w = world();
  const accounts = new InMemoryAccountStore(w.jobs);
  const directory = new InMemoryUserDirectory();
  const deps = { ...w, accounts, directory, logger: silentLogger };
  return {
    ...w,
    directory,
    user: createAdminUserHandler(deps),
    credits: createAdminCreditsHandler(deps),
    tier: createAdminTierHandler(deps),
    submit: createSubmitHandler({ ...deps, metrics: silentMetrics() }),
  };
}

const userEvent = (userId: string, claims: Record<string, string> = ADMIN) =>
  httpEvent({ method: 'GET', route: '/admin/users/{userId}', pathParameters: { userId }, claims });
const creditsEvent = (userId: string, body: unknown, claims: Record<string, string> = ADMIN) =>
  httpEvent({ method: 'POST', route: '/admin/users/{userId}/credits', pathParameters: { userId }, body, claims });
const tierEvent = (userId: string, body: unknown, claims: Record<string, string> = ADMIN) =>
  httpEvent({ method: 'PUT', route: '/admin/users/{userId}/tier', pathParameters: { userId }, body, claims });

describe('admin: users, credits and tiers', () => {
  it('GET shows a new user with the starting credits of their tier, then credits and submissions after use', async () => {
    const w = adminWorld();
    const fresh = bodyOf(await w.user(userEvent('ivy'), ctx));
    await w.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('ivy') }), ctx);

    const used = bodyOf(await w.user(userEvent('ivy'), ctx));

    expect(fresh).toEqual({ userId: 'ivy', tier: 'free', credits: 10, hasAccount: false, day: '2024-03-01', submissionsToday: 0, dailyLimit: 3 });
    expect(used).toMatchObject({ credits: 9, hasAccount: true, submissionsToday: 1 });
  });

  it('grants credits on top of the starting credits, claws back never below 0, and a broke user can submit again after a grant', async () => {
    const w = adminWorld();
    const grant = await w.credits(creditsEvent('jo', { amount: 5 }), ctx);
    const clawback = await w.credits(creditsEvent('jo', { amount: -1000 }), ctx);
    const refused = await w.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('jo') }), ctx);
    await w.credits(creditsEvent('jo', { amount: 2 }), ctx);
    const accepted = await w.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('jo') }), ctx);

    expect([grant.statusCode, bodyOf(grant)]).toEqual([200, { userId: 'jo', credits: 15, amount: 5 }]);
    expect(bodyOf(clawback).credits).toBe(0);
    expect(refused.statusCode).toBe(402);
    expect(accepted.statusCode).toBe(202);
    expect(w.jobs.credits('jo')).toBe(1);
  });

  it('a tier change is what the directory (and so the next token) says; the request tier still comes from the token', async () => {
    const w = adminWorld();
    const res = await w.tier(tierEvent('kim', { tier: 'pro' }), ctx);
    const submitted = await w.submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('kim', 'free') }), ctx);

    expect(bodyOf(res)).toMatchObject({ userId: 'kim', tier: 'pro', previousTier: 'free' });
    expect(w.directory.tiers.get('kim')).toBe('pro');
    expect(bodyOf(submitted).tier).toBe('free');
    expect(bodyOf(await w.user(userEvent('kim'), ctx))).toMatchObject({ tier: 'pro', dailyLimit: null });
  });

  it('is 403 for non-admins on every route, before looking at the input, and changes nothing', async () => {
    const w = adminWorld();
    const user = claimsFor('mallory', 'pro');
    const responses = [
      await w.user(userEvent('ivy', user), ctx),
      await w.credits(creditsEvent('mallory', { amount: 1_000 }, user), ctx),
      await w.tier(tierEvent('mallory', { tier: 'pro' }, user), ctx),
      await w.tier(tierEvent('mallory', 'not json', user), ctx),
    ];

    expect(responses.map((r) => r.statusCode)).toEqual([403, 403, 403, 403]);
    expect(w.jobs.credits('mallory')).toBeUndefined();
    expect(w.directory.tiers.size).toBe(0);
  });

  it('names the bad field: amount not an integer, zero, too big; unknown tier; extra keys; bad user id', async () => {
    const w = adminWorld();
    const paths = async (res: Promise<HttpResult>) => {
      const r = await res;
      expect(r.statusCode).toBe(400);
      return bodyOf(r).errors.map((e: { path: string }) => e.path);
    };

    expect(await paths(w.credits(creditsEvent('jo', { amount: 1.5 }), ctx))).toEqual(['amount']);
    expect(await paths(w.credits(creditsEvent('jo', { amount: 0 }), ctx))).toEqual(['amount']);
    expect(await paths(w.credits(creditsEvent('jo', { amount: 1e9 }), ctx))).toEqual(['amount']);
    expect(await paths(w.credits(creditsEvent('jo', { amount: '5' }), ctx))).toEqual(['amount']);
    expect(await paths(w.tier(tierEvent('jo', { tier: 'platinum' }), ctx))).toEqual(['tier']);
    expect(await paths(w.tier(tierEvent('jo', { tier: 'pro', credits: 5 }), ctx))).toEqual(['credits']);
    expect(await paths(w.user(userEvent('has space'), ctx))).toEqual(['userId']);
    expect(w.jobs.credits('jo')).toBeUndefined();
  });

  it('answers 404 when the directory has no such user (Cognito)', async () => {
    const w = adminWorld();
    w.directory.knownUsers = new Set(['ivy']);

    expect((await w.tier(tierEvent('ghost', { tier: 'basic' }), ctx)).statusCode).toBe(404);
  });
});

describe('stuck-job sweeper handler', () => {
  it('re-sends orphaned jobs and reports what it did', async () => {
    const w = world();
    w.queue.failSends = 1;
    const submit = createSubmitHandler({ ...w, logger: silentLogger, metrics: silentMetrics() });
    await submit(httpEvent({ method: 'POST', route: '/backtests', body: submitBody(), claims: claimsFor('ann', 'pro') }), ctx);
    // The submit above failed its send and refunded: the sweeper must NOT resurrect it. Now an orphan proper:
    const orphan = { ...((await w.jobs.get('job-0001'))!), jobId: 'job-orphan', status: 'queued' as const, error: undefined, finishedAt: undefined };
    w.jobs.put(orphan);
    w.clock.advance(STUCK_AFTER_MS + 1);

    const report = await createRequeueStuckHandler({ ...w, logger: silentLogger })({}, ctx);

    expect(report.requeued).toEqual(['job-orphan']);
    expect(w.queue.messages.pro).toEqual([{ jobId: 'job-orphan', userId: 'ann', tier: 'pro' }]);
  });
});
