import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_RETENTION_DAYS, jobToItem } from '../../lambdas/adapters/dynamodb-job-item.ts';
import { MAX_RESULT_BYTES } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { UnrecoverableJobError } from '../../lambdas/core/errors.ts';
import { newJob } from '../../lambdas/core/job.ts';
import type { JobResult } from '../../lambdas/core/job-result.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { DynamoDbJobRepository } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryJobRepository } from '../support/fakes/in-memory-job-repository.ts';
import { describeJobRepositoryContract } from './job-repository-contract.ts';

describeJobRepositoryContract('InMemoryJobRepository', async () => {
  const repo = new InMemoryJobRepository();
  return { repo, credits: async (userId) => repo.credits(userId) };
});

describe('on the emulators', () => {
  let env: EmulatorEnv;
  beforeAll(async () => {
    env = await freshEmulatorEnv('jobs');
  });
  afterAll(() => env?.close());

  // One set of tables for the file: every test works with its own user and job ids.
  describeJobRepositoryContract('DynamoDbJobRepository on DynamoDB Local', async () => ({
  repo: new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users }),
  credits: async (userId) => {
    const { Item } = await env.doc.send(
      new GetCommand({ TableName: env.tables.users, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ConsistentRead: true }),
    );
    return Item?.credits as number | undefined;
  },
  }));

  it('refuses a result too big for a DynamoDB item as unrecoverable, leaving the job running', async () => {
    const repo = new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users });
    const job = newJob({
      jobId: randomUUID(), userId: `user-${randomUUID()}`, tier: 'pro', combinations: 1, creditsCharged: 1, now: '2026-03-01T10:00:00.000Z',
      request: submitRequestSchema.parse({ strategyId: 'buy-and-hold', symbol: 'SYNTH-A' }),
    });
    await repo.create(job, { credits: 1, dailyLimit: null, day: '2026-03-01', initialCredits: 10 });
    await repo.claim(job.jobId, 1, '2026-03-01T10:00:01.000Z');
    const huge = { params: {}, stats: {}, trades: [], tradesTotal: 0, equityCurve: { time: [], equity: [] }, padding: 'x'.repeat(MAX_RESULT_BYTES) };

    const attempt = repo.complete(job.jobId, 1, huge as unknown as JobResult, '2026-03-01T10:00:02.000Z');

    await expect(attempt).rejects.toSatisfy((e) => e instanceof UnrecoverableJobError && e.code === 'result_too_large');
    expect((await repo.get(job.jobId))?.status).toBe('running');
  });

  it('reads at most 10 index pages when filtering by status, then hands back a cursor that reads on', async () => {
    // Prepare: 520 succeeded jobs written straight to the table (fast), and one cancelled job older than all of them.
    let queries = 0;
    const counting = { send: (command: unknown) => ((command as { constructor: { name: string } }).constructor.name === 'QueryCommand' && (queries += 1), env.doc.send(command as never)) };
    const repo = new DynamoDbJobRepository({ client: counting as unknown as typeof env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users });
    const userId = `user-${randomUUID()}`;
    const request = submitRequestSchema.parse({ strategyId: 'buy-and-hold', symbol: 'SYNTH-A' });
    const t0 = Date.parse('2026-03-01T00:00:00.000Z');
    const item = (i: number, status: 'succeeded' | 'cancelled') =>
      jobToItem({ ...newJob({ jobId: randomUUID(), userId, tier: 'free', combinations: 1, creditsCharged: 1, request, now: new Date(t0 + i * 1000).toISOString() }), status });
    const old = item(0, 'cancelled');
    const items = [old, ...Array.from({ length: 520 }, (_, i) => item(i + 1, 'succeeded'))];
    for (let i = 0; i < items.length; i += 25) {
      await env.doc.send(new BatchWriteCommand({ RequestItems: { [env.tables.jobs]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }

    // Act
    const first = await repo.listByUser(userId, { limit: 5, status: 'cancelled' });
    const firstQueries = queries;
    const second = await repo.listByUser(userId, { limit: 5, status: 'cancelled', cursor: first.nextCursor });

    // Assess: the first call gave up after 10 pages (500 of 521 jobs) with nothing found but a cursor to go on.
    expect(first.items).toEqual([]);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(firstQueries).toBe(10);
    expect(second.items.map((j) => j.jobId)).toEqual([old.jobId]);
    expect(second.nextCursor).toBeUndefined();
  });

  it('keeps live jobs in the sparse queue-state index and drops finished ones from it', async () => {
    const repo = new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users });
    const job = newJob({
      jobId: randomUUID(), userId: `user-${randomUUID()}`, tier: 'basic', combinations: 1, creditsCharged: 1, now: '2026-03-01T10:00:00.000Z',
      request: submitRequestSchema.parse({ strategyId: 'buy-and-hold', symbol: 'SYNTH-A' }),
    });
    const raw = async () =>
      (await env.doc.send(new GetCommand({ TableName: env.tables.jobs, Key: { jobId: job.jobId }, ConsistentRead: true }))).Item;
    await repo.create(job, { credits: 1, dailyLimit: null, day: '2026-03-01', initialCredits: 10 });
    const queued = await raw();
    await repo.claim(job.jobId, 1, '2026-03-01T10:00:01.000Z');
    const running = await raw();
    await repo.fail(job.jobId, 1, { code: 'engine_error', message: 'x' }, '2026-03-01T10:00:02.000Z');
    const failed = await raw();

    expect([queued?.queueState, running?.queueState, failed?.queueState]).toEqual(['basic#queued', 'basic#running', undefined]);
    expect([queued?.expiresAt, failed?.expiresAt]).toEqual([undefined, Date.parse('2026-03-01T10:00:02.000Z') / 1000 + JOB_RETENTION_DAYS * 86_400]);
  });
});
