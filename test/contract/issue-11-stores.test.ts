import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAccountStore } from '../../lambdas/adapters/dynamodb-account-store.ts';
import { DynamoDbConnectionStore } from '../../lambdas/adapters/dynamodb-connection-store.ts';
import { DynamoDbJobRepository } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { DynamoDbSubmitRateLimiter } from '../../lambdas/adapters/dynamodb-submit-rate-limiter.ts';
import { InsufficientCreditsError } from '../../lambdas/core/errors.ts';
import { newJob, RETRIES_EXHAUSTED, type Job } from '../../lambdas/core/job.ts';
import type { ConnectionStore } from '../../lambdas/core/ports/connection-store.ts';
import type { LedgerEntry } from '../../lambdas/core/ports/account-store.ts';
import type { SubmissionCharge } from '../../lambdas/core/ports/job-repository.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryConnectionStore } from '../support/fakes/in-memory-connection-store.ts';

/**
 * Issue 11 against DynamoDB Local (and, for the connection store, the fake too): the per-user connection count and
 * token expiry, the submit token bucket under concurrency, and the credits ledger, whose amounts must add up to
 * the balance whatever mix of debits, refunds, redebits, grants and clawbacks ran, concurrently or not.
 */

const NOW = Date.now();
const iso = (offsetMs = 0) => new Date(NOW + offsetMs).toISOString();

function describeConnectionCaps(name: string, make: () => Promise<ConnectionStore>): void {
  describe(`connections per user and token expiry: ${name}`, () => {
    let store: ConnectionStore;
    const id = (label: string) => `${label}-${randomUUID()}`;
    beforeAll(async () => {
      store = await make();
    });

    it('counts a user\'s open connections, and forgets a deleted one', async () => {
      const [user, other] = [id('user'), id('other')];
      const [a, b, c] = [id('a'), id('b'), id('c')];
      await store.putConnection(a, user, NOW, 2_000_000_000);
      await store.putConnection(b, user, NOW);
      await store.putConnection(c, other, NOW);

      expect(await store.countConnections(user, NOW)).toBe(2);
      await store.deleteConnection(a);
      expect(await store.countConnections(user, NOW)).toBe(1);
      expect(await store.countConnections(other, NOW)).toBe(1);
      // A record past its TTL belongs to a connection API Gateway closed long ago (its $disconnect may never have run).
      expect(await store.countConnections(user, NOW + 3 * 3600 * 1000)).toBe(0);
    });

    it('keeps the token expiry with the connection and each subscription, and lists what a connection watches', async () => {
      const [conn, jobA, jobB] = [id('conn'), id('job'), id('job')];
      await store.putConnection(conn, 'alice', NOW, 1_900_000_000);
      await store.subscribe(conn, jobA, NOW, 1_900_000_000);
      await store.subscribe(conn, jobB, NOW, 1_900_000_000);

      expect(await store.getConnection(conn)).toEqual({ userId: 'alice', tokenExpiresAt: 1_900_000_000 });
      expect(await store.subscriberDetails(jobA)).toEqual([{ connectionId: conn, tokenExpiresAt: 1_900_000_000 }]);
      expect((await store.subscriptionsOf(conn)).sort()).toEqual([jobA, jobB].sort());
      await store.unsubscribe(conn, jobA);
      expect(await store.subscriptionsOf(conn)).toEqual([jobB]);
    });
  });
}

describeConnectionCaps('InMemoryConnectionStore', async () => new InMemoryConnectionStore());

describe('on DynamoDB Local', () => {
  let env: EmulatorEnv;
  beforeAll(async () => {
    env = await freshEmulatorEnv('issue11');
  });
  afterAll(() => env?.close());

  describeConnectionCaps('DynamoDbConnectionStore', async () => new DynamoDbConnectionStore({ client: env.doc, table: env.tables.connections }));

  it('never lets concurrent submits of one user take more tokens than the bucket holds', async () => {
    const limiter = new DynamoDbSubmitRateLimiter({ client: env.doc, usersTable: env.tables.users });
    const user = `bucket-${randomUUID()}`;
    const rate = { perMinute: 1, burst: 5 };

    const outcomes = await Promise.all(Array.from({ length: 12 }, () => limiter.take(user, rate, NOW).catch((e: Error) => e.name)));

    expect(outcomes.filter((o) => o === undefined)).toHaveLength(5);
    expect(outcomes.filter((o) => typeof o === 'number').every((seconds) => (seconds as number) > 0 && (seconds as number) <= 60)).toBe(true);
    // Whatever lost every race gave up with 503, never took a token it did not have.
    expect(outcomes.filter((o) => typeof o === 'string').every((name) => name === 'ServiceUnavailableError')).toBe(true);
    expect(await limiter.take(user, rate, NOW + 60_000)).toBeUndefined();
    expect(await limiter.take(user, rate, NOW + 60_000)).toBeGreaterThan(0);
  });

  describe('credits ledger', () => {
    let repo: DynamoDbJobRepository;
    let accounts: DynamoDbAccountStore;
    beforeAll(() => {
      repo = new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users });
      accounts = new DynamoDbAccountStore({ client: env.doc, usersTable: env.tables.users });
    });

    const job = (userId: string, at = iso()): Job =>
      newJob({
        jobId: randomUUID(), userId, tier: 'basic', combinations: 1, creditsCharged: 2, now: at,
        request: submitRequestSchema.parse({ strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-A' }),
      });
    const charge = (extra: Partial<SubmissionCharge> = {}): SubmissionCharge => ({ credits: 2, dailyLimit: null, day: iso().slice(0, 10), initialCredits: 10, ...extra });
    const everything = async (userId: string): Promise<LedgerEntry[]> => {
      const all: LedgerEntry[] = [];
      let cursor: string | undefined;
      do {
        // Small pages: the cursor must carry the sum across pages too.
        const page = await accounts.ledger(userId, { limit: 3, ...(cursor ? { cursor } : {}) });
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    };
    const balance = async (userId: string) => (await accounts.get(userId, iso().slice(0, 10))).credits;
    const sum = (entries: LedgerEntry[]) => entries.reduce((total, e) => total + e.amount, 0);

    it('writes one line per movement, in the same transaction, and they add up to the balance', async () => {
      const user = `ledger-${randomUUID()}`;
      const [a, b, c] = [job(user, iso(1)), job(user, iso(2)), job(user, iso(3))];
      await repo.create(a, charge());
      await repo.create(b, charge({ idempotency: { key: 'k1', requestHash: 'h', expiresAt: Math.floor(NOW / 1000) + 60 } }));
      // A replay charges nothing and writes no line.
      await repo.create({ ...job(user, iso(4)) }, charge({ idempotency: { key: 'k1', requestHash: 'h', expiresAt: Math.floor(NOW / 1000) + 60 } }));
      await repo.create(c, charge());
      await repo.cancel(a.jobId, user, iso(5));
      await repo.claim(b.jobId, 4, iso(6));
      await repo.fail(b.jobId, 4, { code: RETRIES_EXHAUSTED, message: 'gave up' }, iso(7));
      await repo.requeueFailed(b.jobId, iso(8));
      await accounts.adjustCredits(user, 7, 10, iso(9), 'ops');
      await accounts.adjustCredits(user, -1000, 10, iso(10), 'ops');
      await accounts.recordTierChange(user, 'basic', 'pro', iso(11), 'ops');
      // Nothing is left: a submit is refused and writes no line either.
      await expect(repo.create(job(user, iso(12)), charge())).rejects.toBeInstanceOf(InsufficientCreditsError);

      const lines = await everything(user);
      expect(lines.map((e) => [e.kind, e.amount])).toEqual([
        ['tier', 0],
        ['clawback', -(10 - 2 - 2 - 2 + 2 + 2 - 2 + 7)],
        ['grant', 7],
        ['redebit', -2],
        ['refund', 2],
        ['refund', 2],
        ['debit', -2],
        ['debit', -2],
        ['debit', -2],
        ['opening', 10],
      ]);
      expect(lines.find((e) => e.kind === 'redebit')?.jobId).toBe(b.jobId);
      expect(lines.find((e) => e.kind === 'tier')).toMatchObject({ by: 'ops', tierFrom: 'basic', tierTo: 'pro' });
      expect(sum(lines)).toBe(await balance(user));
      expect(await balance(user)).toBe(0);
    });

    it('still adds up when submits, cancels, grants and clawbacks race', async () => {
      const user = `race-${randomUUID()}`;
      const jobs = Array.from({ length: 8 }, (_, i) => job(user, iso(100 + i)));
      await Promise.all([
        ...jobs.map((j) => repo.create(j, charge({ initialCredits: 20 })).catch((e: Error) => e)),
        accounts.adjustCredits(user, 5, 20, iso(120), 'ops').catch((e: Error) => e),
        accounts.adjustCredits(user, -3, 20, iso(121), 'ops').catch((e: Error) => e),
      ]);
      await Promise.all(jobs.map((j) => repo.cancel(j.jobId, user, iso(130)).catch((e: Error) => e)));
      await Promise.all([accounts.adjustCredits(user, -4, 20, iso(140), 'ops'), accounts.adjustCredits(user, 6, 20, iso(141), 'ops')].map((p) => p.catch((e: Error) => e)));

      const lines = await everything(user);
      expect(lines.filter((e) => e.kind === 'opening')).toEqual([expect.objectContaining({ amount: 20 })]);
      expect(sum(lines)).toBe(await balance(user));
    });
  });
});
