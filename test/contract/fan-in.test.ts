import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbJobRepository } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { newJob, type Job } from '../../lambdas/core/job.ts';
import type { JobRepository } from '../../lambdas/core/ports/job-repository.ts';
import { submitRequestSchema } from '../../lambdas/core/submit-schema.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryJobRepository } from '../support/fakes/in-memory-job-repository.ts';

interface Harness {
  repo: JobRepository;
  credits(userId: string): Promise<number | undefined>;
}

const DAY = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
const at = (s: number): string => new Date(Date.parse(`${DAY}T10:00:00.000Z`) + s * 1000).toISOString();

function fannedOutJob(userId: string, chunks: number): Job {
  return newJob({
    jobId: randomUUID(),
    userId,
    tier: 'pro',
    request: submitRequestSchema.parse({ strategyId: 'sma-cross', params: { fast: [5, 10], slow: [30, 40] }, symbol: 'SYNTH-A' }),
    combinations: 4,
    creditsCharged: 3,
    now: at(0),
    barEvaluations: 3e8,
    chunks,
  });
}

/** The fan-in part of the JobRepository port, for the fake and for DynamoDB Local alike. */
function describeFanInContract(name: string, make: () => Promise<Harness>): void {
  describe(`${name}: fan-in`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await make();
    });

    async function started(chunks = 4): Promise<Job> {
      const user = `u-${randomUUID()}`;
      const job = fannedOutJob(user, chunks);
      await h.repo.create(job, { credits: 3, dailyLimit: null, day: DAY, initialCredits: 10 });
      const claim = await h.repo.claim(job.jobId, 1, at(1));
      expect(claim.kind).toBe('claimed');
      return job;
    }

    it('stores a new fanned-out job with its chunk bookkeeping', async () => {
      const job = await started();
      expect(await h.repo.get(job.jobId)).toMatchObject({ chunks: 4, chunksDone: 0, chunkProgress: {}, barEvaluations: 3e8, progress: 0 });
    });

    it('records each chunk once: a duplicate changes nothing, and the partials come back in chunk order', async () => {
      const job = await started();
      expect(await h.repo.recordChunk(job.jobId, 2, '{"c":2}', at(2))).toEqual({ kind: 'recorded', chunksDone: 1 });
      expect(await h.repo.recordChunk(job.jobId, 2, '{"c":"other"}', at(3))).toEqual({ kind: 'duplicate', chunksDone: 1 });
      expect(await h.repo.recordChunk(job.jobId, 0, '{"c":0}', at(4))).toEqual({ kind: 'recorded', chunksDone: 2 });
      expect(await h.repo.chunkPartials(job.jobId, 4)).toEqual(['{"c":0}', undefined, '{"c":2}', undefined]);
      const now = (await h.repo.get(job.jobId)) as Job;
      expect(now.chunkProgress).toEqual({ '0': 1, '2': 1 });
      // The job's progress is the chunks' mean.
      expect(now.progress).toBe(0.5);
    });

    it('counts chunks recorded at the same time exactly once each, however many copies race', async () => {
      const job = await started(6);
      const copies = [0, 1, 2, 3, 4, 5].flatMap((c) => [c, c, c]);
      const results = await Promise.all(copies.map((c, i) => h.repo.recordChunk(job.jobId, c, `{"c":${c},"copy":${i}}`, at(5))));
      expect(results.filter((r) => r.kind === 'recorded')).toHaveLength(6);
      expect(results.filter((r) => r.kind === 'duplicate')).toHaveLength(12);
      expect(Math.max(...results.map((r) => r.chunksDone))).toBe(6);
      expect((await h.repo.get(job.jobId))?.chunksDone).toBe(6);
      expect((await h.repo.chunkPartials(job.jobId, 6)).every((p) => p !== undefined)).toBe(true);
    });

    it('raises a chunk\'s progress only upwards, and reports a cancel request', async () => {
      const job = await started();
      expect(await h.repo.saveChunkProgress(job.jobId, 1, 0.6, at(2))).toEqual({ live: true, cancelRequested: false });
      await h.repo.saveChunkProgress(job.jobId, 1, 0.2, at(3));
      await h.repo.saveChunkProgress(job.jobId, 3, 0.2, at(3));
      const now = (await h.repo.get(job.jobId)) as Job;
      expect(now.chunkProgress).toEqual({ '1': 0.6, '3': 0.2 });
      expect(now.progress).toBeCloseTo(0.2, 10);
      await h.repo.cancel(job.jobId, job.userId, at(4));
      expect(await h.repo.saveChunkProgress(job.jobId, 1, 0.7, at(5))).toEqual({ live: true, cancelRequested: true });
    });

    it('keeps a tier\'s throughput as a moving average, per tier', async () => {
      const tier = 'basic';
      const before = await h.repo.tierThroughput(tier);
      await h.repo.recordThroughput(tier, { barEvaluations: 2e7, seconds: 2 }, at(1));
      const after = await h.repo.tierThroughput(tier);
      expect(after?.samples).toBe((before?.samples ?? 0) + 1);
      if (!before) expect(after).toMatchObject({ barEvaluationsPerSecond: 1e7, deliverySeconds: 2, updatedAt: at(1) });
      // Not a job: no user's list and no queue view sees it.
      expect(await h.repo.listLive(tier, 'queued', 100)).not.toContainEqual(expect.objectContaining({ jobId: expect.stringContaining('throughput') }));
    });

    it('a finished job takes no more chunks or progress, and refunds once', async () => {
      const job = await started();
      await h.repo.recordChunk(job.jobId, 0, '{}', at(2));
      expect(await h.repo.fail(job.jobId, 1, { code: 'retries_exhausted', message: 'Chunk 2 of 4 failed' }, at(3))).toBe(true);
      expect(await h.repo.fail(job.jobId, 1, { code: 'retries_exhausted', message: 'again' }, at(4))).toBe(false);
      expect(await h.repo.recordChunk(job.jobId, 1, '{}', at(5))).toEqual({ kind: 'gone', chunksDone: 1 });
      expect(await h.repo.saveChunkProgress(job.jobId, 2, 0.5, at(5))).toEqual({ live: false, cancelRequested: false });
      expect(await h.repo.chunkPartials(job.jobId, 4)).toEqual(['{}', undefined, undefined, undefined]);
      expect(await h.credits(job.userId)).toBe(10);
    });
  });
}

describeFanInContract('InMemoryJobRepository', async () => {
  const repo = new InMemoryJobRepository();
  return { repo, credits: async (userId) => repo.credits(userId) };
});

describe('on the emulators', () => {
  let env: EmulatorEnv;
  beforeAll(async () => {
    env = await freshEmulatorEnv('fanin');
  });
  afterAll(() => env?.close());

  describeFanInContract('DynamoDbJobRepository on DynamoDB Local', async () => ({
    repo: new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users }),
    credits: async (userId) => {
      const { Item } = await env.doc.send(new GetCommand({ TableName: env.tables.users, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ConsistentRead: true }));
      return Item?.credits as number | undefined;
    },
  }));
});
