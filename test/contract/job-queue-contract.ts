import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { JobQueue } from '../../lambdas/core/ports/job-queue.ts';

/** The JobQueue contract: what the submit use case and the admin view rely on, for the fake and for SQS. */
export function describeJobQueueContract(name: string, makeQueue: () => Promise<JobQueue>): void {
  describe(`JobQueue contract: ${name}`, () => {
    let queue: JobQueue;

    beforeEach(async () => {
      queue = await makeQueue();
    });

    it('starts empty', async () => {
      expect(await queue.stats('basic')).toEqual({ tier: 'basic', waiting: 0, inFlight: 0, deadLettered: 0 });
    });

    it('puts a job on its own tier queue only', async () => {
      await queue.enqueue({ jobId: randomUUID(), userId: 'alice', tier: 'pro' });
      await queue.enqueue({ jobId: randomUUID(), userId: 'bob', tier: 'pro' });
      await queue.enqueue({ jobId: randomUUID(), userId: 'carol', tier: 'free' });

      expect(await queue.stats('pro')).toEqual({ tier: 'pro', waiting: 2, inFlight: 0, deadLettered: 0 });
      expect((await queue.stats('free')).waiting).toBe(1);
      expect((await queue.stats('basic')).waiting).toBe(0);
    });
  });
}
