import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqsJobQueue } from '../../lambdas/adapters/sqs-job-queue.ts';
import { SqsMessageVisibility } from '../../lambdas/adapters/sqs-message-visibility.ts';
import { ServiceUnavailableError } from '../../lambdas/core/errors.ts';
import { MAX_RECEIVE_COUNT, TIERS, type Tier } from '../../lambdas/core/tiers.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryJobQueue } from '../support/fakes/in-memory-job-queue.ts';
import { describeJobQueueContract } from './job-queue-contract.ts';
import { until } from '../support/until.ts';

const urls = (env: EmulatorEnv, key: 'url' | 'dlqUrl'): Record<Tier, string> =>
  Object.fromEntries(TIERS.map((t) => [t, env.queues[t][key]])) as Record<Tier, string>;

describeJobQueueContract('InMemoryJobQueue', async () => new InMemoryJobQueue());

describe('on the emulators', () => {
  const envs: EmulatorEnv[] = [];
  async function env(): Promise<EmulatorEnv> {
    const e = await freshEmulatorEnv('queue');
    envs.push(e);
    return e;
  }
  afterEach(() => {
    for (const e of envs.splice(0)) e.close();
  });

  // Queues hold state the contract counts, so each test gets its own.
  describeJobQueueContract('SqsJobQueue on fauxqs', async () => {
    const e = await env();
    return new SqsJobQueue({ client: e.sqs, queueUrls: urls(e, 'url'), dlqUrls: urls(e, 'dlqUrl') });
  });

  describe('SqsJobQueue and SqsMessageVisibility', () => {
    it('sends the wiring contract body, counts a received message as in flight, and dead-letters after maxReceiveCount', async () => {
      const e = await env();
      const queue = new SqsJobQueue({ client: e.sqs, queueUrls: urls(e, 'url'), dlqUrls: urls(e, 'dlqUrl') });
      const visibility = new SqsMessageVisibility({ client: e.sqs, queueUrls: urls(e, 'url') });
      const message = { jobId: randomUUID(), userId: 'alice', tier: 'basic' as const };
      await queue.enqueue(message);

      const receive = () =>
        e.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: e.queues.basic.url, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
        );
      const first = (await receive()).Messages?.[0];
      const whileHeld = await queue.stats('basic');
      const counts: string[] = [first?.Attributes?.ApproximateReceiveCount ?? 'none'];
      // As the worker does after each failed attempt (here with no backoff): release it at once.
      await visibility.changeVisibility('basic', first!.ReceiptHandle!, 0);
      for (let i = 2; i <= MAX_RECEIVE_COUNT; i++) {
        const m = (await receive()).Messages?.[0];
        counts.push(m?.Attributes?.ApproximateReceiveCount ?? 'none');
        await visibility.changeVisibility('basic', m!.ReceiptHandle!, 0);
      }
      const afterLast = await receive();
      const final = await queue.stats('basic');

      expect(JSON.parse(first?.Body ?? '{}')).toEqual(message);
      expect(whileHeld).toEqual({ tier: 'basic', waiting: 0, inFlight: 1, deadLettered: 0 });
      expect(counts).toEqual(['1', '2', '3', '4']);
      expect(afterLast.Messages ?? []).toEqual([]);
      expect(final).toEqual({ tier: 'basic', waiting: 0, inFlight: 0, deadLettered: 1 });
    });

    it('hides a message for the backoff it is given', async () => {
      const e = await env();
      const queue = new SqsJobQueue({ client: e.sqs, queueUrls: urls(e, 'url'), dlqUrls: urls(e, 'dlqUrl') });
      const visibility = new SqsMessageVisibility({ client: e.sqs, queueUrls: urls(e, 'url') });
      await queue.enqueue({ jobId: randomUUID(), userId: 'alice', tier: 'free' });
      const receive = () => e.sqs.send(new ReceiveMessageCommand({ QueueUrl: e.queues.free.url, MaxNumberOfMessages: 1 }));
      const held = (await receive()).Messages![0];

      // SQS visibility is whole seconds (3.2 -> 3 or 4 s). The receive right after must find nothing: with 1.2 s a
      // loaded machine could let a second pass between the two calls and see the message back already.
      await visibility.changeVisibility('free', held.ReceiptHandle!, 3.2);
      const during = await receive();
      // Then wait for the message to come back, not for a fixed time.
      let after: Awaited<ReturnType<typeof receive>> | undefined;
      await until(async () => ((after = await receive()).Messages ?? []).length > 0, 30_000, 'the message visible again');

      expect(during.Messages ?? []).toEqual([]);
      expect(after?.Messages?.[0]?.MessageId).toBe(held.MessageId);
    });

    it('reports a send that fails as ServiceUnavailableError', async () => {
      const e = await env();
      const queueUrls = { ...urls(e, 'url'), pro: e.queues.pro.url.replace(/[^/]+$/, 'no-such-queue') };
      const queue = new SqsJobQueue({ client: e.sqs, queueUrls });

      await expect(queue.enqueue({ jobId: randomUUID(), userId: 'alice', tier: 'pro' })).rejects.toBeInstanceOf(ServiceUnavailableError);
    });

    it('works with a client configured only by the environment, as the handlers build theirs', async () => {
      const e = await env();
      for (const [key, value] of Object.entries(e.env)) vi.stubEnv(key, value);
      const warn = vi.spyOn(console, 'warn');
      const fromEnv = new SQSClient({});
      try {
        const queue = new SqsJobQueue({ client: fromEnv, queueUrls: urls(e, 'url'), dlqUrls: urls(e, 'dlqUrl') });
        await queue.enqueue({ jobId: randomUUID(), userId: 'alice', tier: 'free' });

        expect((await queue.stats('free')).waiting).toBe(1);
        // The SDK warns (and re-routes) when a queue URL's host differs from its endpoint: createResources avoids that.
        expect(warn).not.toHaveBeenCalled();
      } finally {
        fromEnv.destroy();
        warn.mockRestore();
        vi.unstubAllEnvs();
      }
    });
  });
});
