import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbJobRepository, MAX_RESULT_BYTES } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { SyntheticMarketData } from '../../lambdas/adapters/synthetic-market-data.ts';
import type { JobResult } from '../../lambdas/core/job-result.ts';
import { systemClock } from '../../lambdas/core/ports/clock.ts';
import type { JobRepository } from '../../lambdas/core/ports/job-repository.ts';
import type { MarketData } from '../../lambdas/core/ports/market-data.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { processJob, type ProcessOutcome } from '../../lambdas/core/use-cases/process-job.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryJobQueue } from '../support/fakes/index.ts';

// processJob on the real DynamoDB job repository (DynamoDB Local) and the real synthetic market data: the races and
// the failures that only the real adapter decides (conditional claims, the item size cap).
let env: EmulatorEnv;
beforeAll(async () => {
  env = await freshEmulatorEnv('procjob');
});
afterAll(() => env?.close());

const BODY = { strategyId: 'sma-cross', params: { fast: 10, slow: 30 }, symbol: 'SYNTH-RACE', timeframe: '1d', startDate: '2005-01-01', endDate: '2019-12-31' };

function setup(jobsOverride?: (real: DynamoDbJobRepository) => JobRepository) {
  const real = new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users });
  const jobs = jobsOverride ? jobsOverride(real) : real;
  const synthetic = new SyntheticMarketData();
  let loads = 0;
  // Counts engine runs: a delivery that claims nothing never loads data.
  const marketData: MarketData = {
    load: (...args) => {
      loads += 1;
      return synthetic.load(...args);
    },
  };
  const queue = new InMemoryJobQueue();
  const userId = `worker-${randomUUID()}`;
  return {
    real,
    jobs,
    queue,
    userId,
    loads: () => loads,
    submit: () => submitBacktest({ userId, tier: 'basic', admin: false }, BODY, undefined, { jobs: real, queue, clock: systemClock }),
    run: (message: unknown, attempt: number) => processJob(message, attempt, { jobs, marketData, clock: systemClock, random: () => 0 }),
    credits: async () => {
      const { Item } = await env.doc.send(new GetCommand({ TableName: env.tables.users, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ConsistentRead: true }));
      return Item?.credits as number | undefined;
    },
  };
}

/** Every method of the real repository, bound, with `complete` replaced. */
function withComplete(real: DynamoDbJobRepository, complete: JobRepository['complete']): JobRepository {
  const bound = Object.fromEntries(
    Object.getOwnPropertyNames(DynamoDbJobRepository.prototype)
      .filter((name) => name !== 'constructor')
      .map((name) => [name, (real as unknown as Record<string, (...a: unknown[]) => unknown>)[name].bind(real)]),
  ) as unknown as JobRepository;
  return { ...bound, complete };
}

describe('processJob on DynamoDB Local', () => {
  it('runs a job once when three copies of its message race for the claim', async () => {
    const s = setup();
    const jobIds: string[] = [];
    for (let i = 0; i < 3; i++) jobIds.push((await s.submit()).jobId);
    const messages = s.queue.messages.basic;

    const outcomes: ProcessOutcome[][] = await Promise.all(messages.map((m) => Promise.all([s.run(m, 1), s.run(m, 1), s.run(m, 1)])));

    for (const perJob of outcomes) {
      expect(perJob.filter((o) => o.kind === 'done')).toEqual([{ kind: 'done', status: 'succeeded' }]);
      expect(perJob.filter((o) => o.kind === 'skip')).toHaveLength(2);
    }
    expect(s.loads()).toBe(3);
    for (const jobId of jobIds) expect(await s.real.get(jobId)).toMatchObject({ status: 'succeeded', attempts: 1, progress: 1 });
    expect(await s.credits()).toBe(TIER_SETTINGS.basic.initialCredits - 3 * TIER_SETTINGS.basic.creditsPerJob);
  });

  it('fails a result too big for a DynamoDB item once, as result_too_large, with a refund and no retry', async () => {
    // The engine keeps results far below the cap (a capped trade list, a downsampled curve), so the result is padded
    // on its way to the real adapter, which measures and refuses it.
    const s = setup((real) => withComplete(real, (jobId, attempt, result, now) => real.complete(jobId, attempt, { ...result, padding: 'x'.repeat(MAX_RESULT_BYTES) } as JobResult, now)));
    const { jobId } = await s.submit();
    const message = s.queue.messages.basic[0];

    const outcome = await s.run(message, 1);

    expect(outcome).toEqual({ kind: 'done', status: 'failed' });
    const job = await s.real.get(jobId);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'result_too_large' } });
    expect(job?.result).toBeUndefined();
    expect(await s.credits()).toBe(TIER_SETTINGS.basic.initialCredits);
    // The message is deleted (done), and a late copy finds the job finished.
    expect(await s.run(message, 2)).toEqual({ kind: 'skip', reason: 'terminal' });
  });
});
