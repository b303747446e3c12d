import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { messageGroupId, SqsJobQueue } from '../../lambdas/adapters/sqs-job-queue.ts';
import { MAX_RECEIVE_COUNT, TIERS, TIER_SETTINGS, VISIBILITY_TIMEOUT_SECONDS, WORKER_TIMEOUT_SECONDS } from '../../lambdas/core/tiers.ts';

// What the fleet needs from the tier table and the queue adapter (docs/fan-out.md): chunks that finish well inside
// the worker timeout, a bounded chunk count, and sends that carry the fairness key.

/** Single-thread engine speed assumed for a tier's worker (bar evaluations/s): 1 GB is about 0.6 vCPU. */
const WORKER_SPEED = { free: 8e6, basic: 15e6, pro: 15e6 } as const;

describe('tier table: fleet settings', () => {
  it.each(TIERS)('%s: a chunk (and a job that does not fan out) finishes within a tenth of the worker timeout', (tier) => {
    const s = TIER_SETTINGS[tier];
    expect(s.chunkBarEvaluations / WORKER_SPEED[tier]).toBeLessThanOrEqual(WORKER_TIMEOUT_SECONDS / 10 + 0.5);
    expect(s.fanOutAboveBarEvaluations / WORKER_SPEED[tier]).toBeLessThanOrEqual(WORKER_TIMEOUT_SECONDS / 10 + 0.5);
    expect(s.chunkBarEvaluations).toBeLessThanOrEqual(s.fanOutAboveBarEvaluations);
    expect(s.fanOutAboveBarEvaluations).toBeLessThanOrEqual(s.maxBarEvaluations);
  });

  it.each(TIERS)('%s: the biggest job is at most 400 chunks (four BatchGet calls to merge) and finishes in about a minute of fleet time', (tier) => {
    const s = TIER_SETTINGS[tier];
    const chunks = s.maxBarEvaluations <= s.fanOutAboveBarEvaluations ? 1 : Math.ceil(s.maxBarEvaluations / s.chunkBarEvaluations);
    expect(chunks).toBeLessThanOrEqual(400);
    const rounds = Math.ceil(chunks / s.maxConcurrency);
    expect((rounds * s.chunkBarEvaluations) / WORKER_SPEED[tier]).toBeLessThan(60);
  });

  it('a chunk retries within the same visibility rules as a job: 2/4/8 s, then the DLQ after the 4th receive', () => {
    expect(MAX_RECEIVE_COUNT).toBe(4);
    expect(VISIBILITY_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(6 * WORKER_TIMEOUT_SECONDS);
  });
});

describe('SqsJobQueue: fair-queue sends', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('sends every message with MessageGroupId = the user id, and a chunk message with its chunk', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const queue = new SqsJobQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrls: { free: 'qf', basic: 'qb', pro: 'qp' } });
    await queue.enqueue({ jobId: 'j1', userId: 'user-1', tier: 'pro' });
    await queue.enqueue({ jobId: 'j1', userId: 'user-1', tier: 'pro', chunk: 7 });
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent.map((s) => s.MessageGroupId)).toEqual(['user-1', 'user-1']);
    expect(sent.map((s) => s.QueueUrl)).toEqual(['qp', 'qp']);
    expect(sent.map((s) => JSON.parse(s.MessageBody ?? ''))).toEqual([
      { jobId: 'j1', userId: 'user-1', tier: 'pro' },
      { jobId: 'j1', userId: 'user-1', tier: 'pro', chunk: 7 },
    ]);
  });

  it('hashes a user id SQS would refuse as a group id (not 1-128 printable ASCII), the same way every time', () => {
    expect(messageGroupId('a'.repeat(128))).toBe('a'.repeat(128));
    const odd = messageGroupId('ünïcødé user');
    expect(odd).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(messageGroupId('ünïcødé user')).toBe(odd);
    expect(messageGroupId('x'.repeat(129))).toMatch(/^sha256:/);
  });
});
