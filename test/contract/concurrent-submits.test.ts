import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbJobRepository } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { InsufficientCreditsError, RateLimitedError, ServiceUnavailableError } from '../../lambdas/core/errors.ts';
import { systemClock } from '../../lambdas/core/ports/clock.ts';
import { TIER_SETTINGS, type Tier, type TierSettings } from '../../lambdas/core/tiers.ts';
import { submitBacktest, type SubmitResponse } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryJobQueue } from '../support/fakes/index.ts';

// Concurrent submits by one user against the real DynamoDB job repository on DynamoDB Local: the credit, the daily
// count and the idempotency record are items that every submit of the user writes in one transaction, so races on
// them are decided by DynamoDB's conditions, not by the code. Each test has its own user.
// DynamoDB Local runs transactions one at a time and never answers TransactionConflict on its own (20 parallel
// submits of one user: no conflict), so the conflict tests have DynamoDB answer one, exactly as AWS words it, for the
// first transactions, and let the rest reach DynamoDB Local.
let env: EmulatorEnv;
beforeAll(async () => {
  env = await freshEmulatorEnv('races');
});
afterAll(() => env?.close());

const BODY = { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-A', timeframe: '1d', startDate: '2010-01-01', endDate: '2019-12-31' };

interface Harness {
  userId: string;
  queue: InMemoryJobQueue;
  jobs: DynamoDbJobRepository;
  submit(idempotencyKey?: string): Promise<SubmitResponse>;
  /** The user's credits as stored; undefined before the first charge. */
  credits(): Promise<number | undefined>;
  jobIds(): Promise<string[]>;
  /** Transactions sent (including the ones answered with a conflict). */
  transactions: { sent: number; conflicts: number };
}

function harness(tier: Tier, options: { settings?: Partial<TierSettings>; conflicts?: number } = {}): Harness {
  const userId = `racer-${randomUUID()}`;
  const transactions = { sent: 0, conflicts: 0 };
  let conflictsLeft = options.conflicts ?? 0;
  const client = {
    send(command: unknown) {
      if (command instanceof TransactWriteCommand) {
        transactions.sent += 1;
        if (conflictsLeft > 0) {
          conflictsLeft -= 1;
          transactions.conflicts += 1;
          return Promise.reject(conflictOn(command));
        }
      }
      return env.doc.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
  const jobs = new DynamoDbJobRepository({ client, jobsTable: env.tables.jobs, usersTable: env.tables.users });
  const queue = new InMemoryJobQueue();
  const tiers = { ...TIER_SETTINGS, [tier]: { ...TIER_SETTINGS[tier], ...options.settings } };
  return {
    userId,
    queue,
    jobs,
    transactions,
    submit: (key) => submitBacktest({ userId, tier, admin: false }, BODY, key, { jobs, queue, clock: systemClock, tiers }),
    credits: async () => {
      const { Item } = await env.doc.send(new GetCommand({ TableName: env.tables.users, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ConsistentRead: true }));
      return Item?.credits as number | undefined;
    },
    jobIds: async () => (await jobs.listByUser(userId, { limit: 100 })).items.map((j) => j.jobId).sort(),
  };
}

/** DynamoDB's answer when another transaction holds one of the items: the whole transaction is cancelled. */
function conflictOn(command: TransactWriteCommand): TransactionCanceledException {
  const items = command.input.TransactItems ?? [];
  const profile = items.findIndex((item) => item.Update?.Key?.sk === 'PROFILE');
  const codes = items.map((_, i) => (i === Math.max(0, profile) ? 'TransactionConflict' : 'None'));
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code, ...(Code === 'TransactionConflict' ? { Message: 'Transaction is ongoing for the item' } : {}) })),
  });
}

function outcomes(results: PromiseSettledResult<SubmitResponse>[]) {
  return {
    accepted: results.filter((r): r is PromiseFulfilledResult<SubmitResponse> => r.status === 'fulfilled').map((r) => r.value),
    refused: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown),
  };
}

describe('concurrent submits by one user on DynamoDB Local', () => {
  it('retries a transaction DynamoDB cancelled for a conflict: one job, one charge, one message', async () => {
    const h = harness('pro', { conflicts: 2 });

    const res = await h.submit();

    expect(res).toMatchObject({ status: 'queued', replayed: false });
    expect(h.transactions).toEqual({ sent: 3, conflicts: 2 });
    expect(await h.jobIds()).toEqual([res.jobId]);
    expect(await h.credits()).toBe(TIER_SETTINGS.pro.initialCredits - TIER_SETTINGS.pro.creditsPerJob);
    expect(h.queue.messages.pro.map((m) => m.jobId)).toEqual([res.jobId]);
  });

  it('answers 503 when the conflict outlasts the retries, and changes nothing: no job, no charge, the key still free', async () => {
    const h = harness('basic', { conflicts: 4 });

    const attempt = h.submit('conflict-key');

    await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(h.transactions).toEqual({ sent: 4, conflicts: 4 });
    expect(await h.jobIds()).toEqual([]);
    expect(await h.credits()).toBeUndefined();
    expect(h.queue.messages.basic).toEqual([]);
    // The client retries with the same key once DynamoDB is calm: a new job, not a replay of nothing.
    const retried = await h.submit('conflict-key');
    expect(retried.replayed).toBe(false);
    expect(await h.jobIds()).toEqual([retried.jobId]);
    expect(await h.credits()).toBe(TIER_SETTINGS.basic.initialCredits - TIER_SETTINGS.basic.creditsPerJob);
  });

  it('lets exactly one of six parallel submits take the last credit; the others are refused and charge nothing', async () => {
    const h = harness('basic', { settings: { initialCredits: 3, creditsPerJob: 1, dailySubmissions: null } });
    const first = await h.submit();
    const second = await h.submit();
    expect(await h.credits()).toBe(1);

    const { accepted, refused } = outcomes(await Promise.allSettled(Array.from({ length: 6 }, () => h.submit())));

    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(5);
    for (const error of refused) expect(error).toBeInstanceOf(InsufficientCreditsError);
    expect(await h.credits()).toBe(0);
    expect(await h.jobIds()).toEqual([first.jobId, second.jobId, accepted[0].jobId].sort());
    expect(h.queue.messages.basic).toHaveLength(3);
  });

  it('creates one job for one Idempotency-Key sent six times in parallel: one charge, one message, five replays', async () => {
    const h = harness('basic');

    const { accepted, refused } = outcomes(await Promise.allSettled(Array.from({ length: 6 }, () => h.submit('same-key-in-parallel'))));

    expect(refused).toEqual([]);
    const jobIds = new Set(accepted.map((r) => r.jobId));
    expect(jobIds.size).toBe(1);
    expect(accepted.filter((r) => r.replayed)).toHaveLength(5);
    expect(await h.jobIds()).toEqual([...jobIds]);
    expect(await h.credits()).toBe(TIER_SETTINGS.basic.initialCredits - TIER_SETTINGS.basic.creditsPerJob);
    expect(h.queue.messages.basic.map((m) => m.jobId)).toEqual([...jobIds]);
  });

  it('accepts exactly the daily limit of eight parallel free-tier submits; the rest are rate limited and not charged', async () => {
    const h = harness('free');
    const limit = TIER_SETTINGS.free.dailySubmissions!;

    const { accepted, refused } = outcomes(await Promise.allSettled(Array.from({ length: 8 }, () => h.submit())));

    expect(accepted).toHaveLength(limit);
    expect(refused).toHaveLength(8 - limit);
    for (const error of refused) expect(error).toBeInstanceOf(RateLimitedError);
    expect(await h.jobIds()).toEqual(accepted.map((r) => r.jobId).sort());
    expect(await h.credits()).toBe(TIER_SETTINGS.free.initialCredits - limit * TIER_SETTINGS.free.creditsPerJob);
    expect(h.queue.messages.free).toHaveLength(limit);
  });
});
