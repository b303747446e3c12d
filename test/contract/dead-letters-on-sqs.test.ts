import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbJobRepository } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { SqsDeadLetterQueue } from '../../lambdas/adapters/sqs-dead-letter-queue.ts';
import { SqsJobQueue } from '../../lambdas/adapters/sqs-job-queue.ts';
import { newJob } from '../../lambdas/core/job.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { listDeadLetters, redriveDeadLetters } from '../../lambdas/core/use-cases/dead-letters.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { ManualClock } from '../support/fakes/index.ts';

// `npm run dlq` on the real adapters (SQS on fauxqs, DynamoDB Local): what the fakes cannot show, a send that really
// fails and the max on a real queue. The happy path is in admin-stores.test.ts.
const DAY = new Date().toISOString().slice(0, 10);
const at = (s: number) => new Date(Date.parse(`${DAY}T00:00:00.000Z`) + s * 1000).toISOString();

let env: EmulatorEnv;
let jobs: DynamoDbJobRepository;
let dlq: SqsDeadLetterQueue;
beforeAll(async () => {
  env = await freshEmulatorEnv('dlqsqs');
  jobs = new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users });
  dlq = new SqsDeadLetterQueue({ client: env.sqs, dlqUrls: { free: env.queues.free.dlqUrl, basic: env.queues.basic.dlqUrl, pro: env.queues.pro.dlqUrl } });
});
afterAll(() => env?.close());

const credits = async (userId: string): Promise<number | undefined> =>
  (await env.doc.send(new GetCommand({ TableName: env.tables.users, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ConsistentRead: true }))).Item?.credits as number | undefined;

describe('dead letters on SQS and DynamoDB Local', () => {
  it('keeps the message when the redrive send fails: the job waits queued (charged) for the sweeper, listed again in the DLQ', async () => {
    const userId = `u-${randomUUID()}`;
    const job = newJob({
      jobId: randomUUID(), userId, tier: 'basic', combinations: 1, creditsCharged: 1, now: at(0),
      request: submitRequestSchema.parse({ strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-A' }),
    });
    await jobs.create(job, { credits: 1, dailyLimit: null, day: DAY, initialCredits: 10 });
    await jobs.claim(job.jobId, 4, at(1));
    await jobs.fail(job.jobId, 4, { code: 'retries_exhausted', message: 'Failed after 4 attempts' }, at(2));
    const refunded = await credits(userId);
    await env.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.basic.dlqUrl, MessageBody: JSON.stringify({ jobId: job.jobId, userId, tier: 'basic' }) }));
    // A tier queue that does not exist: SQS refuses the send (as with a deleted queue or a missing permission).
    const missing = `${env.queues.basic.url}-missing`;
    const broken = new SqsJobQueue({ client: env.sqs, queueUrls: { free: missing, basic: missing, pro: missing } });

    const rows = await redriveDeadLetters('basic', 10, { dlq, jobs, queue: broken, clock: new ManualClock(at(10)) });

    expect(rows).toEqual([
      expect.objectContaining({ jobId: job.jobId, outcome: 'kept', detail: 'the job was requeued but the send failed; the stuck-job sweeper will send it' }),
    ]);
    expect(await jobs.get(job.jobId)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await credits(userId)).toBe((refunded ?? 0) - 1);
    const listed = await listDeadLetters('basic', 10, { dlq, jobs });
    expect(listed.map((r) => [r.jobId, r.jobStatus])).toEqual([[job.jobId, 'queued']]);
  });

  it('lists at most --max messages of a real queue and leaves all of them there', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => env.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.free.dlqUrl, MessageBody: `junk ${i}` }))));

    const some = await listDeadLetters('free', 5, { dlq, jobs });
    const all = await listDeadLetters('free', 50, { dlq, jobs });

    expect(some).toHaveLength(5);
    expect(new Set(some.map((r) => r.messageId)).size).toBe(5);
    expect(all.map((r) => r.body).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `junk ${i}`).sort());
  });
});
