import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { requeueLiveJobs } from '../../local/requeue.ts';
import { jobToItem } from '../../lambdas/adapters/dynamodb-job-item.ts';
import { newJob, startAttempt, succeed, type Job } from '../../lambdas/core/job.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import type { JobResult } from '../../lambdas/core/job-result.ts';
import type { Tier } from '../../lambdas/core/tiers.ts';

// What `npm start --persist` does at start: jobs a dead stack left queued or running go back on their queue.
let env: EmulatorEnv;
beforeAll(async () => {
  env = await freshEmulatorEnv('requeue');
});
afterAll(() => env?.close());

const now = '2026-01-01T00:00:00.000Z';
const request = submitRequestSchema.parse({ strategyId: 'buy-and-hold', symbol: 'SYNTH-X' });
const job = (jobId: string, tier: Tier): Job => newJob({ jobId, userId: `u-${jobId}`, tier, request, combinations: 1, creditsCharged: 1, now });

async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => m.Body ?? ''));
  }
}

describe('requeue after a restart', () => {
  it('puts queued and running jobs back with a fresh attempt count, drops stale messages, leaves finished jobs alone', async () => {
    const queued = job('q1', 'free');
    const running = startAttempt(startAttempt(job('r1', 'pro'), 1, now), 2, now);
    const done = succeed(startAttempt(job('d1', 'pro'), 1, now), { params: {}, stats: {}, trades: [], tradesTotal: 0, equityCurve: { time: [], equity: [] } } as unknown as JobResult, now);
    for (const j of [queued, running, done]) await env.doc.send(new PutCommand({ TableName: env.tables.jobs, Item: jobToItem(j) }));
    await env.sqs.send(new SendMessageCommand({ QueueUrl: env.queues.pro.url, MessageBody: JSON.stringify({ jobId: 'r1', userId: 'u-r1', tier: 'pro' }) }));

    const requeued = await requeueLiveJobs({
      doc: env.doc,
      sqs: env.sqs,
      jobsTable: env.tables.jobs,
      queueUrls: { free: env.queues.free.url, basic: env.queues.basic.url, pro: env.queues.pro.url },
    });

    expect(requeued).toEqual({ free: ['q1'], basic: [], pro: ['r1'] });
    expect((await drain(env.queues.free.url)).map((b) => JSON.parse(b))).toEqual([{ jobId: 'q1', userId: 'u-q1', tier: 'free' }]);
    expect((await drain(env.queues.pro.url)).map((b) => JSON.parse(b))).toEqual([{ jobId: 'r1', userId: 'u-r1', tier: 'pro' }]);
    const r1 = (await env.doc.send(new GetCommand({ TableName: env.tables.jobs, Key: { jobId: 'r1' } }))).Item;
    expect(r1).toMatchObject({ status: 'queued', attempts: 0, queueState: 'pro#queued' });
    const d1 = (await env.doc.send(new GetCommand({ TableName: env.tables.jobs, Key: { jobId: 'd1' } }))).Item;
    expect(d1).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});
