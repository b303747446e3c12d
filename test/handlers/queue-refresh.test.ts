import { describe, expect, it } from 'vitest';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { createProgressNotifierHandler } from '../../lambdas/handlers/stream/progress-notifier-handler.ts';
import { principal, submitBody, world } from '../core/support.ts';
import { jobStreamRecord, lambdaContext, streamEvent } from '../support/events/index.ts';
import { silentMetrics } from './emf.ts';
import { silentLogger } from './silent-logger.ts';

async function setup() {
  const w = world();
  const ids: string[] = [];
  for (const user of ['ann', 'bob', 'cat']) {
    ids.push((await submitBacktest(principal(user, 'basic'), submitBody(), undefined, w)).jobId);
    w.clock.advance(1000);
  }
  for (const [i, id] of ids.entries()) await w.connections.subscribe(`c${i}`, id, 0);
  const queued = (await w.jobs.get(ids[0]))!;
  await w.jobs.claim(ids[0], 1, new Date(w.clock.now()).toISOString());
  const running = (await w.jobs.get(ids[0]))!;
  const record = jobStreamRecord({ oldJob: queued, newJob: running });
  return { w, ids, record };
}

describe('progress notifier: queue refresh', () => {
  it('a job that starts is pushed as running, then the jobs queued behind it get their new positions', async () => {
    const { w, ids, record } = await setup();
    const handler = createProgressNotifierHandler({ connections: w.connections, push: w.push, jobs: w.jobs, logger: silentLogger, metrics: silentMetrics() });

    expect(await handler(streamEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });

    expect(w.push.to('c0')).toEqual([expect.objectContaining({ jobId: ids[0], status: 'running' })]);
    expect(w.push.to('c0')[0]).not.toHaveProperty('queuePosition');
    expect(w.push.to('c1')).toEqual([expect.objectContaining({ jobId: ids[1], status: 'queued', queuePosition: 0, etaSeconds: expect.any(Number) })]);
    expect(w.push.to('c2')).toEqual([expect.objectContaining({ jobId: ids[2], status: 'queued', queuePosition: 1 })]);
  });

  it('progress of a running job moves no queue: nothing is pushed to the queued jobs', async () => {
    const { w, ids } = await setup();
    const running = (await w.jobs.get(ids[0]))!;
    const handler = createProgressNotifierHandler({ connections: w.connections, push: w.push, jobs: w.jobs, logger: silentLogger, metrics: silentMetrics() });
    await handler(streamEvent(jobStreamRecord({ oldJob: running, newJob: { ...running, progress: 0.5, message: 'Backtesting: 50%' } })), lambdaContext());
    expect(w.push.to('c1')).toEqual([]);
    expect(w.push.to('c2')).toEqual([]);
  });

  it('a failed refresh post does not fail the stream record (it would repeat every push of the batch)', async () => {
    const { w, record } = await setup();
    w.push.failing.add('c1');
    const handler = createProgressNotifierHandler({ connections: w.connections, push: w.push, jobs: w.jobs, logger: silentLogger, metrics: silentMetrics() });
    expect(await handler(streamEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(w.push.to('c2')).toEqual([expect.objectContaining({ queuePosition: 1 })]);
  });
});
