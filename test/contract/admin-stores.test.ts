import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAccountStore } from '../../lambdas/adapters/dynamodb-account-store.ts';
import { DynamoDbJobRepository } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { DynamoDbUserDirectory } from '../../lambdas/adapters/dynamodb-user-directory.ts';
import { SqsDeadLetterQueue } from '../../lambdas/adapters/sqs-dead-letter-queue.ts';
import { SqsJobQueue } from '../../lambdas/adapters/sqs-job-queue.ts';
import { ConflictError, InsufficientCreditsError } from '../../lambdas/core/errors.ts';
import { newJob, type Job } from '../../lambdas/core/job.ts';
import type { AccountStore } from '../../lambdas/core/ports/account-store.ts';
import type { JobRepository } from '../../lambdas/core/ports/job-repository.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { listDeadLetters, redriveDeadLetters } from '../../lambdas/core/use-cases/dead-letters.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryAccountStore, InMemoryJobRepository, ManualClock } from '../support/fakes/index.ts';

// Today, not a fixed date: DynamoDB Local runs TTL, and would delete a past day's counter in the middle of a test.
const DAY = new Date().toISOString().slice(0, 10);
const at = (s: number) => new Date(Date.parse(`${DAY}T00:00:00.000Z`) + s * 1000).toISOString();

function aJob(userId: string, createdAt = at(0)): Job {
  return newJob({
    jobId: randomUUID(), userId, tier: 'pro', combinations: 1, creditsCharged: 1, now: createdAt,
    request: submitRequestSchema.parse({ strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-A' }),
  });
}

/** One contract for the accounts and the operator transitions, passed by the fakes and by DynamoDB Local. */
function describeAdminContract(name: string, make: () => Promise<{ jobs: JobRepository; accounts: AccountStore }>) {
  describe(name, () => {
    it('a grant before any submit adds to the starting credits; submits debit the same balance', async () => {
      const { jobs, accounts } = await make();
      const user = `u-${randomUUID()}`;

      const granted = await accounts.adjustCredits(user, 5, 10, at(0));
      await jobs.create(aJob(user), { credits: 1, dailyLimit: 3, day: DAY, initialCredits: 10 });

      expect(granted).toBe(15);
      expect(await accounts.get(user, DAY)).toEqual({ credits: 14, submissions: 1 });
      expect(await accounts.get(`u-${randomUUID()}`, DAY)).toEqual({ credits: undefined, submissions: 0 });
    });

    it('a clawback takes what is asked when there is enough, else leaves exactly 0', async () => {
      const { accounts } = await make();
      const rich = `u-${randomUUID()}`;
      const poor = `u-${randomUUID()}`;
      const fresh = `u-${randomUUID()}`;
      await accounts.adjustCredits(rich, 90, 10, at(0));
      await accounts.adjustCredits(poor, 0 + 1, 2, at(0));

      expect(await accounts.adjustCredits(rich, -30, 10, at(1))).toBe(70);
      expect(await accounts.adjustCredits(poor, -50, 2, at(1))).toBe(0);
      expect(await accounts.adjustCredits(fresh, -4, 10, at(1))).toBe(6);
      expect(await accounts.adjustCredits(`u-${randomUUID()}`, -40, 10, at(1))).toBe(0);
    });

    it('touchStuckQueued claims a stuck never-started job once per cutoff', async () => {
      const { jobs } = await make();
      const job = aJob(`u-${randomUUID()}`);
      await jobs.create(job, { credits: 1, dailyLimit: null, day: DAY, initialCredits: 10 });

      const tooYoung = await jobs.touchStuckQueued(job.jobId, at(-1), at(120));
      const first = await jobs.touchStuckQueued(job.jobId, at(0), at(120));
      const second = await jobs.touchStuckQueued(job.jobId, at(0), at(121));
      await jobs.claim(job.jobId, 1, at(200));
      const started = await jobs.touchStuckQueued(job.jobId, at(500), at(500));

      expect([tooYoung, first, second, started]).toEqual([false, true, false, false]);
      expect((await jobs.get(job.jobId))?.status).toBe('running');
    });

    it('requeueFailed: retries_exhausted only, attempts reset, credits debited again, and only once under a race', async () => {
      const { jobs, accounts } = await make();
      const user = `u-${randomUUID()}`;
      const job = aJob(user);
      await jobs.create(job, { credits: 1, dailyLimit: null, day: DAY, initialCredits: 10 });
      for (let a = 1; a <= 4; a++) {
        await jobs.claim(job.jobId, a, at(a));
        if (a < 4) await jobs.scheduleRetry(job.jobId, a, 'retry', at(a));
      }
      await jobs.fail(job.jobId, 4, { code: 'retries_exhausted', message: 'Failed after 4 attempts' }, at(10));
      const refunded = (await accounts.get(user, DAY)).credits;

      const results = await Promise.allSettled([jobs.requeueFailed(job.jobId, at(20)), jobs.requeueFailed(job.jobId, at(20))]);

      expect(refunded).toBe(10);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(ConflictError) });
      const after = await jobs.get(job.jobId);
      expect(after).toMatchObject({ status: 'queued', attempts: 0, progress: 0 });
      expect(after?.error).toBeUndefined();
      expect(after?.finishedAt).toBeUndefined();
      expect((await accounts.get(user, DAY)).credits).toBe(9);
      expect(await jobs.claim(job.jobId, 1, at(30))).toMatchObject({ kind: 'claimed' });
    });

    it('requeueFailed refuses other failures and users without credits, changing nothing', async () => {
      const { jobs, accounts } = await make();
      const user = `u-${randomUUID()}`;
      const spec = aJob(user);
      const broke = aJob(user, at(1));
      for (const j of [spec, broke]) await jobs.create(j, { credits: 1, dailyLimit: null, day: DAY, initialCredits: 10 });
      await jobs.fail(spec.jobId, 0, { code: 'invalid_spec', message: 'bad' }, at(2));
      await jobs.claim(broke.jobId, 4, at(2));
      await jobs.fail(broke.jobId, 4, { code: 'retries_exhausted', message: 'x' }, at(3));
      await accounts.adjustCredits(user, -1000, 10, at(4));

      await expect(jobs.requeueFailed(spec.jobId, at(5))).rejects.toBeInstanceOf(ConflictError);
      await expect(jobs.requeueFailed(broke.jobId, at(5))).rejects.toBeInstanceOf(InsufficientCreditsError);
      expect((await jobs.get(broke.jobId))?.status).toBe('failed');
      expect((await accounts.get(user, DAY)).credits).toBe(0);
    });
  });
}

describeAdminContract('in-memory fakes', async () => {
  const jobs = new InMemoryJobRepository();
  return { jobs, accounts: new InMemoryAccountStore(jobs) };
});

describe('on the emulators', () => {
  let env: EmulatorEnv;
  beforeAll(async () => {
    env = await freshEmulatorEnv('admin');
  });
  afterAll(() => env?.close());

  describeAdminContract('DynamoDbAccountStore + DynamoDbJobRepository on DynamoDB Local', async () => ({
    jobs: new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users }),
    accounts: new DynamoDbAccountStore({ client: env.doc, usersTable: env.tables.users }),
  }));

  it('DynamoDbUserDirectory keeps the tier beside the credits without disturbing them', async () => {
    const directory = new DynamoDbUserDirectory({ client: env.doc, usersTable: env.tables.users });
    const accounts = new DynamoDbAccountStore({ client: env.doc, usersTable: env.tables.users });
    const user = `u-${randomUUID()}`;
    await accounts.adjustCredits(user, 3, 10, at(0));

    const before = await directory.getTier(user);
    await directory.setTier(user, 'basic');

    expect(before).toBeUndefined();
    expect(await directory.getTier(user)).toBe('basic');
    expect((await accounts.get(user, DAY)).credits).toBe(13);
  });

  it('SqsDeadLetterQueue: list leaves messages in place; redrive moves a runnable job to the tier queue and deletes it from the DLQ', async () => {
    const jobs = new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users });
    const dlq = new SqsDeadLetterQueue({ client: env.sqs, dlqUrls: { free: env.queues.free.dlqUrl, basic: env.queues.basic.dlqUrl, pro: env.queues.pro.dlqUrl } });
    const queue = new SqsJobQueue({
      client: env.sqs,
      queueUrls: { free: env.queues.free.url, basic: env.queues.basic.url, pro: env.queues.pro.url },
      dlqUrls: { free: env.queues.free.dlqUrl, basic: env.queues.basic.dlqUrl, pro: env.queues.pro.dlqUrl },
    });
    const user = `u-${randomUUID()}`;
    const job = aJob(user);
    await jobs.create(job, { credits: 1, dailyLimit: null, day: DAY, initialCredits: 10 });
    await jobs.claim(job.jobId, 4, at(1));
    await jobs.fail(job.jobId, 4, { code: 'retries_exhausted', message: 'Failed after 4 attempts' }, at(2));
    await env.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.pro.dlqUrl, MessageBody: JSON.stringify({ jobId: job.jobId, userId: user, tier: 'pro' }) }));
    await env.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.pro.dlqUrl, MessageBody: 'poison' }));

    const listed = await listDeadLetters('pro', 10, { dlq, jobs });
    const listedAgain = await listDeadLetters('pro', 10, { dlq, jobs });
    const redriven = await redriveDeadLetters('pro', 10, { dlq, jobs, queue, clock: new ManualClock(at(10)) });

    expect(listed.map((r) => r.jobStatus ?? r.body).sort()).toEqual(['failed', 'poison']);
    expect(listedAgain).toHaveLength(2);
    expect(redriven.map((r) => r.outcome).sort()).toEqual(['kept', 'redriven']);
    expect(await jobs.get(job.jobId)).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await queue.stats('pro')).waiting).toBe(1);
    const remaining = await listDeadLetters('pro', 10, { dlq, jobs });
    expect(remaining.map((r) => r.body)).toEqual(['poison']);
  });
});
