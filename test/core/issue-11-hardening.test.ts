import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../lambdas/core/errors.ts';
import type { Job } from '../../lambdas/core/job.ts';
import { principalFromClaims } from '../../lambdas/core/principal.ts';
import type { ClientPush } from '../../lambdas/core/ports/client-push.ts';
import { SubmitRateExceededError, takeToken, type BucketState } from '../../lambdas/core/submit-rate.ts';
import { TIER_SETTINGS, MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_SECONDS } from '../../lambdas/core/tiers.ts';
import { changeTier, grantCredits } from '../../lambdas/core/use-cases/admin-users.ts';
import { notifyProgress, MAX_PARALLEL_POSTS } from '../../lambdas/core/use-cases/notify-progress.ts';
import { LOST_MESSAGE_AFTER_MS, requeueStuckJobs } from '../../lambdas/core/use-cases/requeue-stuck-jobs.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { connect, handleClientMessage, MAX_CONNECTIONS_PER_USER, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../../lambdas/core/use-cases/websocket-session.ts';
import { mapError } from '../../lambdas/handlers/shared/problem.ts';
import { InMemoryAccountStore } from '../support/fakes/in-memory-account-store.ts';
import { InMemorySubmitRateLimiter } from '../support/fakes/in-memory-submit-rate-limiter.ts';
import { InMemoryUserDirectory } from '../support/fakes/index.ts';
import { principal, submitBody, world } from './support.ts';

/** Issue 11 in the core, against the in-memory fakes: each test fails on the code before the fix. */

describe('per-user submit token bucket (item 2)', () => {
  it('takes burst tokens at once, refills at the rate, and says when the next one comes', () => {
    const rate = { perMinute: 6, burst: 3 };
    let state: BucketState | undefined;
    for (let i = 0; i < 3; i++) {
      const took = takeToken(state, rate, 0);
      expect(took.allowed).toBe(true);
      if (took.allowed) state = took.next;
    }

    expect(takeToken(state, rate, 0)).toEqual({ allowed: false, retryAfterSeconds: 10 });
    expect(takeToken(state, rate, 4_000)).toEqual({ allowed: false, retryAfterSeconds: 6 });
    expect(takeToken(state, rate, 10_000).allowed).toBe(true);
    // A long quiet spell refills to the burst, never beyond it.
    const after = takeToken(state, rate, 3_600_000);
    expect(after.allowed && after.next.tokens).toBe(2);
  });

  it('refuses the submit after the burst with a 429 Retry-After, before any job, charge or message exists', async () => {
    const w = world();
    const deps = { ...w, rateLimiter: new InMemorySubmitRateLimiter() };
    const basic = principal('bob', 'basic');
    const { burst } = TIER_SETTINGS.basic.submitRate;
    for (let i = 0; i < burst; i++) await submitBacktest(basic, submitBody(), undefined, deps);
    const creditsBefore = w.jobs.credits('bob');

    const refused = await submitBacktest(basic, submitBody(), undefined, deps).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(SubmitRateExceededError);
    const mapped = mapError(refused);
    expect(mapped.problem.status).toBe(429);
    expect(mapped.problem.title).toBe('Submitting too fast');
    expect(Number(mapped.headers['Retry-After'])).toBe(2);
    expect(w.queue.messages.basic).toHaveLength(burst);
    expect(w.jobs.credits('bob')).toBe(creditsBefore);
    // Another user is not slowed down by bob.
    await expect(submitBacktest(principal('carol', 'basic'), submitBody(), undefined, deps)).resolves.toMatchObject({ status: 'queued' });
    // And bob gets a token back once the bucket refilled (30 per minute: 2 s).
    w.clock.advance(2_000);
    await expect(submitBacktest(basic, submitBody(), undefined, deps)).resolves.toMatchObject({ status: 'queued' });
  });

  it('does not spend a token on a body that fails validation', async () => {
    const w = world();
    const deps = { ...w, rateLimiter: new InMemorySubmitRateLimiter() };
    const free = principal('dave', 'free');
    for (let i = 0; i < 10; i++) await submitBacktest(free, { nonsense: true }, undefined, deps).catch(() => undefined);

    await expect(submitBacktest(free, submitBody(), undefined, deps)).resolves.toMatchObject({ status: 'queued' });
  });
});

describe('tokens (item 6): the same rule on both APIs', () => {
  it('refuses a Cognito access token instead of running it as free', () => {
    const claims = { sub: 'user-1', token_use: 'access', client_id: 'abc', scope: 'openid' };

    expect(() => principalFromClaims(claims)).toThrow(UnauthorizedError);
    expect(() => principalFromClaims(claims)).toThrow(/ID token/);
    expect(principalFromClaims({ sub: 'user-1', token_use: 'id', tier: 'pro' })).toEqual({ userId: 'user-1', tier: 'pro', admin: false });
  });
});

describe('WebSocket caps and token expiry (item 3)', () => {
  const nowSec = () => Math.floor(Date.parse('2024-03-01T12:00:00.000Z') / 1000);

  it(`refuses the ${MAX_CONNECTIONS_PER_USER + 1}th connection of a user and keeps nothing of it`, async () => {
    const w = world();
    const alice = { ...principal('alice'), tokenExpiresAt: nowSec() + 3600 };
    for (let i = 0; i < MAX_CONNECTIONS_PER_USER; i++) expect(await connect(alice, `c${i}`, w)).toEqual({ kind: 'connected' });

    const refused = await connect(alice, 'one-too-many', w);

    expect(refused.kind).toBe('too_many_connections');
    expect(refused.kind !== 'connected' && refused.message).toMatch(new RegExp(`at most ${MAX_CONNECTIONS_PER_USER} per user`));
    expect(await w.connections.getConnection('one-too-many')).toBeUndefined();
    expect(await connect(principal('bob'), 'bobs', w)).toEqual({ kind: 'connected' });
    // A slot frees up when a connection closes.
    await w.connections.deleteConnection('c0');
    expect(await connect(alice, 'again', w)).toEqual({ kind: 'connected' });
  });

  it('answers a subscribe over the per-connection cap with a clear error frame and does not subscribe', async () => {
    const w = world();
    const alice = principal('alice', 'pro');
    await connect(alice, 'conn', w);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submitBacktest(alice, submitBody(), undefined, w)).jobId);
    for (const jobId of ids.slice(0, 2)) await handleClientMessage(alice, 'conn', JSON.stringify({ action: 'subscribe', jobId }), w, 2);

    await handleClientMessage(alice, 'conn', JSON.stringify({ action: 'subscribe', jobId: ids[2] }), w, 2);
    // Re-subscribing to a job already watched is not a new subscription.
    await handleClientMessage(alice, 'conn', JSON.stringify({ action: 'subscribe', jobId: ids[0] }), w, 2);

    const frames = w.push.to('conn');
    expect(frames.filter((f) => f.type === 'snapshot')).toHaveLength(3);
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ type: 'error', code: 'too_many_subscriptions', jobId: ids[2], message: expect.stringContaining('unsubscribe') });
    expect(await w.connections.subscribers(ids[2])).toEqual([]);
    expect(MAX_SUBSCRIPTIONS_PER_CONNECTION).toBeGreaterThan(0);
  });

  it('refuses a subscribe once the token expired: error frame, records gone, socket closed', async () => {
    const w = world();
    const closed: string[] = [];
    const push: ClientPush = { send: (id, m) => w.push.send(id, m), close: async (id) => void closed.push(id) };
    const alice = { ...principal('alice'), tokenExpiresAt: nowSec() + 60 };
    await connect(alice, 'conn', w);
    const { jobId } = await submitBacktest(alice, submitBody(), undefined, w);
    w.clock.advance(61_000);

    await handleClientMessage(alice, 'conn', JSON.stringify({ action: 'subscribe', jobId }), { ...w, push });

    expect(w.push.to('conn')).toEqual([{ type: 'error', code: 'token_expired', message: expect.stringContaining('expired at') }]);
    expect(await w.connections.getConnection('conn')).toBeUndefined();
    expect(await w.connections.subscribers(jobId)).toEqual([]);
    expect(closed).toEqual(['conn']);
  });

  it('closes subscribers whose token expired on the next push, and pushes to the others', async () => {
    const w = world();
    const closed: string[] = [];
    const push: ClientPush = { send: (id, m) => w.push.send(id, m), close: async (id) => void closed.push(id) };
    const alice = principal('alice');
    const { jobId } = await submitBacktest(alice, submitBody(), undefined, w);
    await connect({ ...alice, tokenExpiresAt: nowSec() - 1 }, 'stale', w);
    await connect({ ...alice, tokenExpiresAt: nowSec() + 3600 }, 'fresh', w);
    await w.connections.subscribe('stale', jobId, w.clock.now(), nowSec() - 1);
    await w.connections.subscribe('fresh', jobId, w.clock.now(), nowSec() + 3600);
    const before = (await w.jobs.get(jobId)) as Job;

    const outcome = await notifyProgress({ oldJob: before, newJob: { ...before, progress: 0.5, message: 'half' } }, { ...w, push, now: () => w.clock.now() });

    expect(outcome).toEqual({ relevant: true, sent: 1, gone: 0, expired: 1 });
    expect(w.push.to('fresh')).toEqual([expect.objectContaining({ type: 'progress', progress: 0.5 })]);
    expect(w.push.to('stale')).toEqual([expect.objectContaining({ type: 'error', code: 'token_expired' })]);
    expect(closed).toEqual(['stale']);
    expect(await w.connections.subscribers(jobId)).toEqual(['fresh']);
  });

  it(`keeps at most ${MAX_PARALLEL_POSTS} posts in flight however many connections watch a job`, async () => {
    const w = world();
    const alice = principal('alice');
    const { jobId } = await submitBacktest(alice, submitBody(), undefined, w);
    for (let i = 0; i < 45; i++) await w.connections.subscribe(`c${String(i).padStart(2, '0')}`, jobId, w.clock.now());
    let inFlight = 0;
    let most = 0;
    const push: ClientPush = {
      send: async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        // Let every other post that could start, start.
        await new Promise((r) => setImmediate(r));
        inFlight -= 1;
        return 'sent';
      },
    };
    const before = (await w.jobs.get(jobId)) as Job;

    const outcome = await notifyProgress({ oldJob: before, newJob: { ...before, progress: 0.2 } }, { connections: w.connections, push });

    expect(outcome.sent).toBe(45);
    expect(most).toBe(MAX_PARALLEL_POSTS);
  });
});

describe('stuck-job sweeper: a running job whose message was lost (item 8)', () => {
  it('requeues a non-final attempt untouched for twice the visibility timeout with a fresh message; younger ones are left alone', async () => {
    const w = world();
    const alice = principal('alice', 'basic');
    const lost = (await submitBacktest(alice, submitBody(), undefined, w)).jobId;
    const recent = (await submitBacktest(alice, submitBody(), undefined, w)).jobId;
    w.queue.messages.basic.length = 0;
    await w.jobs.claim(lost, 2, new Date(w.clock.now()).toISOString());
    w.clock.advance(LOST_MESSAGE_AFTER_MS - VISIBILITY_TIMEOUT_SECONDS * 1000);
    await w.jobs.claim(recent, 1, new Date(w.clock.now()).toISOString());
    w.clock.advance(VISIBILITY_TIMEOUT_SECONDS * 1000 + 1);

    const report = await requeueStuckJobs(w);

    expect(report.recovered).toEqual([lost]);
    expect(await w.jobs.get(lost)).toMatchObject({ status: 'queued', attempts: 0, progress: 0 });
    expect(w.queue.messages.basic.map((m) => m.jobId)).toEqual([lost]);
    expect(await w.jobs.get(recent)).toMatchObject({ status: 'running', attempts: 1 });
    // The fresh message (receive count 1) can claim the job again.
    expect((await w.jobs.claim(lost, 1, new Date(w.clock.now()).toISOString())).kind).toBe('claimed');
    expect(MAX_RECEIVE_COUNT).toBeGreaterThan(2);
  });
});

describe('ledger lines from the admin use cases (item 7)', () => {
  it('records who granted, what a clawback actually took, and tier changes', async () => {
    const w = world();
    const accounts = new InMemoryAccountStore(w.jobs);
    const directory = new InMemoryUserDirectory();
    directory.tiers.set('bob', 'free');
    const admin = principal('ops', 'free', true);
    const deps = { accounts, directory, clock: w.clock };

    await grantCredits(admin, 'bob', { amount: 5 }, deps);
    await grantCredits(admin, 'bob', { amount: -100 }, deps);
    await changeTier(admin, 'bob', { tier: 'pro' }, deps);

    const { items } = await accounts.ledger('bob', { limit: 10 });
    expect(items.map((e) => [e.kind, e.amount, e.by])).toEqual([
      ['tier', 0, 'ops'],
      ['clawback', -(TIER_SETTINGS.free.initialCredits + 5), 'ops'],
      ['grant', 5, 'ops'],
      ['opening', TIER_SETTINGS.free.initialCredits, undefined],
    ]);
    expect(items[0]).toMatchObject({ tierFrom: 'free', tierTo: 'pro' });
    expect(items.reduce((sum, e) => sum + e.amount, 0)).toBe(w.jobs.credits('bob'));
  });
});
