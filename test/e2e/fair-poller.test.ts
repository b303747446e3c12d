import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../local/http-util.ts';
import { startSqsPoller } from '../../local/sqs-poller.ts';
import { SqsJobQueue } from '../../lambdas/adapters/sqs-job-queue.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { until } from '../support/until.ts';

// The fair-queue emulation of the local SQS event source mapping (fauxqs serves standard queues in arrival order and
// ignores MessageGroupId): user A's backlog of 8 chunk messages, then user B's one job, two slots.
let env: EmulatorEnv;

beforeAll(async () => {
  env = await freshEmulatorEnv('fair');
});
afterAll(() => env?.close());

async function order(fairQueues: boolean, queueUrl: string, tier: 'free' | 'basic' | 'pro'): Promise<string[]> {
  const queue = new SqsJobQueue({ client: env.sqs, queueUrls: { free: env.queues.free.url, basic: env.queues.basic.url, pro: env.queues.pro.url } });
  for (let chunk = 0; chunk < 8; chunk++) await queue.enqueue({ jobId: 'big', userId: 'user-a', tier, chunk });
  await queue.enqueue({ jobId: 'small', userId: 'user-b', tier });
  const started: string[] = [];
  const poller = await startSqsPoller({
    sqs: env.sqs,
    queueUrl,
    maxConcurrency: 2,
    waitTimeSeconds: 1,
    fairQueues,
    log: silentLogger,
    invoke: async (event: SQSEvent) => {
      const body = JSON.parse(event.Records[0].body) as { userId: string; chunk?: number };
      started.push(body.chunk === undefined ? 'B' : `A${body.chunk}`);
      // Each invocation holds its slot for a while, so the backlog is still there when a slot frees.
      await new Promise((r) => setTimeout(r, 50));
      return { batchItemFailures: [] };
    },
  });
  try {
    await until(() => started.length === 9, 15_000, 'nine invocations');
  } finally {
    await poller.stop();
  }
  return started;
}

describe('local fair-queue emulation', () => {
  it('on: the other user\'s job takes the next free slot instead of waiting behind the backlog', async () => {
    const started = await order(true, env.queues.pro.url, 'pro');
    // The two slots go to A's first chunks (B's message is not read yet or A was first); B gets the third start at the latest.
    expect(started.indexOf('B')).toBeLessThanOrEqual(2);
    // Every chunk of A starts exactly once. Their order among themselves is not asserted: standard queues promise
    // none, and two slots freeing together on a loaded machine may start neighbours in either order (seen in CI).
    expect(started.filter((s) => s !== 'B').sort()).toEqual(['A0', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7']);
  });

  it('off: arrival order, so B waits behind all of A\'s chunks (what fauxqs alone does)', async () => {
    const started = await order(false, env.queues.basic.url, 'basic');
    expect(started.indexOf('B')).toBe(8);
  });
});

describe('local fair-queue emulation, held messages', () => {
  it('keeps a held message hidden past its visibility timeout, so waiting for a slot costs no extra receive', async () => {
    // A 1 s visibility timeout and one slot: three messages of 0.8 s each, so the last one is held for about 1.6 s.
    const short = await freshEmulatorEnv('fairheld', { visibilityTimeoutSeconds: 1, maxReceiveCount: 4 });
    try {
      const queue = new SqsJobQueue({ client: short.sqs, queueUrls: { free: short.queues.free.url, basic: short.queues.basic.url, pro: short.queues.pro.url } });
      await queue.enqueue({ jobId: 'a1', userId: 'user-a', tier: 'free' });
      await queue.enqueue({ jobId: 'a2', userId: 'user-a', tier: 'free' });
      await queue.enqueue({ jobId: 'b1', userId: 'user-b', tier: 'free' });
      const seen: { jobId: string; receiveCount: string }[] = [];
      const poller = await startSqsPoller({
        sqs: short.sqs,
        queueUrl: short.queues.free.url,
        maxConcurrency: 1,
        waitTimeSeconds: 1,
        fairQueues: true,
        log: silentLogger,
        invoke: async (event: SQSEvent) => {
          const jobId = (JSON.parse(event.Records[0].body) as { jobId: string }).jobId;
          seen.push({ jobId, receiveCount: event.Records[0].attributes.ApproximateReceiveCount });
          await new Promise((r) => setTimeout(r, 800));
          return { batchItemFailures: [] };
        },
      });
      try {
        await until(() => seen.length >= 3, 15_000, 'three invocations');
        // Long enough for a held copy to come back and run again, if it could.
        await new Promise((r) => setTimeout(r, 2000));
      } finally {
        await poller.stop();
      }
      expect(seen.map((s) => s.jobId).sort()).toEqual(['a1', 'a2', 'b1']);
      expect(seen.map((s) => s.receiveCount)).toEqual(['1', '1', '1']);
    } finally {
      short.close();
    }
  });
});
