import { describe, expect, it } from 'vitest';
import {
  CrashingJobRepository,
  FaultConfigurationError,
  faultConfigFromEnv,
  faultsEnabled,
  FlakyClientPush,
  FlakyJobQueue,
  InjectedFaultError,
  seededRandom,
  withFaults,
} from '../../lambdas/adapters/fault-injection.ts';
import { ServiceUnavailableError } from '../../lambdas/core/errors.ts';
import { MAX_RECEIVE_COUNT } from '../../lambdas/core/tiers.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { syntheticSeries } from '../../engine/index.ts';
import { principal, submitBody, world } from './support.ts';

const off = faultConfigFromEnv({}, () => 7);

describe('fault configuration', () => {
  it('is off unless a FAULT_* variable is set, and reads every setting', () => {
    const on = faultConfigFromEnv({
      FAULT_WORKER_CRASH_RATE: '0.25', FAULT_WORKER_CRASH_SYMBOLS: 'synth-crash, ORCL', FAULT_POST_GONE_RATE: '0.5', FAULT_SQS_SEND_FAIL_RATE: '1', FAULT_SEED: '42',
    });

    expect(faultsEnabled(off)).toBe(false);
    expect(on).toEqual({ workerCrashRate: 0.25, workerCrashSymbols: ['SYNTH-CRASH', 'ORCL'], postGoneRate: 0.5, sqsSendFailRate: 1, seed: 42 });
    expect(faultsEnabled(on)).toBe(true);
  });

  it('refuses a malformed value naming it, so a typo cannot silently switch a fault off', () => {
    expect(() => faultConfigFromEnv({ FAULT_POST_GONE_RATE: 'lots' })).toThrow(FaultConfigurationError);
    expect(() => faultConfigFromEnv({ FAULT_SQS_SEND_FAIL_RATE: '1.5' })).toThrow(/FAULT_SQS_SEND_FAIL_RATE/);
  });

  it('draws the same sequence for the same seed and stream, and independent streams per fault', () => {
    const a = seededRandom(42, 'x');
    const b = seededRandom(42, 'x');
    const c = seededRandom(42, 'y');
    const seqA = Array.from({ length: 5 }, a);

    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('leaves the ports unwrapped when the faults are off', () => {
    const w = world();

    expect(withFaults.workerJobs(w.jobs, off)).toBe(w.jobs);
    expect(withFaults.push(w.push, off)).toBe(w.push);
    expect(withFaults.queue(w.queue, off)).toBe(w.queue);
  });
});

describe('injected worker crashes', () => {
  it('a crash symbol fails every attempt after the engine ran: retries, then failed with a refund and the DLQ', async () => {
    // Prepare
    const w = world();
    w.marketData.add('SYNTH-CRASH', '1d', syntheticSeries('SYNTH-CRASH', '1d', Date.UTC(2010, 0, 1), Date.UTC(2019, 11, 31)));
    const jobs = new CrashingJobRepository(w.jobs, { workerCrashRate: 0, workerCrashSymbols: ['SYNTH-CRASH'], seed: 1 });
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody({ symbol: 'SYNTH-CRASH' }), undefined, w);
    const before = w.jobs.credits('alice');
    const deps = { jobs, marketData: w.marketData, clock: w.clock, random: () => 0, progressIntervalMs: 0 };

    // Act
    const outcomes = [];
    for (let attempt = 1; attempt <= MAX_RECEIVE_COUNT; attempt++) outcomes.push(await processJob({ jobId, userId: 'alice', tier: 'pro' }, attempt, deps));

    // Assess
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry', 'retry', 'dead']);
    const job = await w.jobs.get(jobId);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'retries_exhausted' } });
    expect(w.jobs.progressWrites.get(jobId)).toBeGreaterThan(0);
    expect(w.jobs.credits('alice')).toBe((before ?? 0) + 1);
  });

  it('crashes a seeded fraction of attempts, and a retry of a crashed job succeeds once', async () => {
    const w = world();
    const jobs = new CrashingJobRepository(w.jobs, { workerCrashRate: 0.5, workerCrashSymbols: [], seed: 1234 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await submitBacktest(principal('bob', 'pro'), submitBody({ endDate: '2011-12-31' }), undefined, w)).jobId);
    const deps = { jobs, marketData: w.marketData, clock: w.clock, random: () => 0 };

    const first = await Promise.all(ids.map((jobId) => processJob({ jobId, userId: 'bob', tier: 'pro' }, 1, deps)));
    const crashed = ids.filter((_, i) => first[i].kind === 'retry');
    for (const jobId of crashed) {
      let attempt = 2;
      while ((await processJob({ jobId, userId: 'bob', tier: 'pro' }, attempt, deps)).kind === 'retry') attempt += 1;
    }

    expect(crashed.length).toBeGreaterThan(0);
    expect(crashed.length).toBeLessThan(ids.length);
    expect(first.every((o) => o.kind === 'retry' || (o.kind === 'done' && o.status === 'succeeded'))).toBe(true);
    const statuses = await Promise.all(ids.map(async (id) => (await w.jobs.get(id))?.status));
    expect(statuses.filter((s) => s === 'succeeded').length + statuses.filter((s) => s === 'failed').length).toBe(ids.length);
  });

  it('the InjectedFaultError is an ordinary error, so nothing mistakes it for an unrecoverable one', () => {
    expect(new InjectedFaultError('x')).toBeInstanceOf(Error);
    expect(new InjectedFaultError('x').name).toBe('InjectedFaultError');
  });
});

describe('flaky PostToConnection and SQS sends', () => {
  it('answers gone at the configured rate without sending, so the notifier deletes the connection', async () => {
    const w = world();
    const push = new FlakyClientPush(w.push, { postGoneRate: 0.3, seed: 9 });

    const results = [];
    for (let i = 0; i < 400; i++) results.push(await push.send(`c${i}`, { i }));

    const gone = results.filter((r) => r === 'gone').length;
    expect(gone).toBeGreaterThan(80);
    expect(gone).toBeLessThan(160);
    expect(w.push.sent).toHaveLength(400 - gone);
  });

  it('fails enqueues at the configured rate; submit then fails the job, refunds and answers 503', async () => {
    const w = world();
    const queue = new FlakyJobQueue(w.queue, { sqsSendFailRate: 1, seed: 3 });
    const before = 10;

    const attempt = submitBacktest(principal('carol'), submitBody(), undefined, { ...w, queue });

    await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(w.jobs.count('failed')).toBe(1);
    expect(w.jobs.credits('carol')).toBe(before);
    expect(w.queue.all()).toHaveLength(0);
  });
});
