import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDbJobRepository } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { newJob } from '../../lambdas/core/job.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { MAX_RECEIVE_COUNT } from '../../lambdas/core/tiers.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';

// `npm run dlq -- list` as an operator runs it, on a message that went to the DLQ the way a failing job's does: the
// worker received it four times (the receive count is the attempt), the fifth receive moved it. The listing used to
// print SQS's receive count as "receives", which counts that move and every DLQ read, so a 4-attempt job showed 6
// (and 7 on the next listing). The attempts now come from the job row.
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'dlq.ts');
let env: EmulatorEnv;

beforeAll(async () => {
  env = await freshEmulatorEnv('dlq', { visibilityTimeoutSeconds: 30 });
});

afterAll(() => env?.close());

async function dlqScript(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, ...args, '--tier', 'pro'], {
    // As scripts/dlq.ts reads a stack's environment (the local stack file holds the same variables).
    env: { ...process.env, ...env.env },
    encoding: 'utf8',
  });
  return stdout;
}

describe('npm run dlq -- list', () => {
  // Three script processes and five receives: 9 s in a loaded full run; the timeout only bounds a hang.
  it('shows the attempts the job ran, the same on every listing, and labels the raw SQS count', { timeout: 120_000 }, async () => {
    const now = new Date().toISOString();
    const jobs = new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users });
    const job = newJob({
      jobId: randomUUID(), userId: `u-${randomUUID()}`, tier: 'pro', combinations: 1, creditsCharged: 1, now,
      request: submitRequestSchema.parse({ strategyId: 'buy-and-hold', symbol: 'SYNTH-DLQ' }),
    });
    await jobs.create(job, { credits: 1, dailyLimit: null, day: now.slice(0, 10), initialCredits: 10 });
    const queueUrl = env.queues.pro.url;
    await env.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ jobId: job.jobId, userId: job.userId, tier: 'pro' }) }));
    // The worker's four attempts: each receive is one attempt, each failure makes the message visible again.
    for (let attempt = 1; attempt <= MAX_RECEIVE_COUNT; attempt++) {
      const { Messages = [] } = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
      expect(Messages[0]?.Attributes?.ApproximateReceiveCount).toBe(String(attempt));
      await jobs.claim(job.jobId, attempt, now);
      if (attempt === MAX_RECEIVE_COUNT) await jobs.fail(job.jobId, attempt, { code: 'retries_exhausted', message: `Failed after ${attempt} attempts` }, now);
      await env.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: Messages[0]!.ReceiptHandle!, VisibilityTimeout: 0 }));
    }
    // The next receive finds the message over its maxReceiveCount and moves it to the DLQ.
    const moved = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(moved.Messages ?? []).toEqual([]);

    const first = await dlqScript('list');
    const second = await dlqScript('list');
    const rows = JSON.parse(await dlqScript('list', '--json')) as { jobId: string; jobAttempts: number; receiveCount: number }[];

    for (const text of [first, second]) {
      expect(text).toContain(`job ${job.jobId}: failed after ${MAX_RECEIVE_COUNT} attempts (retries_exhausted: Failed after 4 attempts)`);
      expect(text).not.toMatch(/ receives=/);
      expect(text).toContain('sqsReceiveCount includes the DLQ\'s own reads, this listing\'s too');
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ jobId: job.jobId, jobAttempts: MAX_RECEIVE_COUNT });
    // Why the old number misled: every listing is a receive, so SQS's count keeps growing past the attempts.
    const counts = [first, second].map((t) => Number(/sqsReceiveCount=(\d+)/.exec(t)?.[1]));
    expect(counts[1]).toBe(counts[0] + 1);
    expect(rows[0].receiveCount).toBe(counts[1] + 1);
    expect(counts[0]).toBeGreaterThan(MAX_RECEIVE_COUNT);
  });
});
