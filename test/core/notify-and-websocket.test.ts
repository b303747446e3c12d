import { describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/core/job.ts';
import { notifyProgress } from '../../lambdas/core/use-cases/notify-progress.ts';
import { processJob } from '../../lambdas/core/use-cases/process-job.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { connect, disconnect, handleClientMessage } from '../../lambdas/core/use-cases/websocket-session.ts';
import { principal, submitBody, world } from './support.ts';

async function jobPair(w: ReturnType<typeof world>): Promise<{ queued: Job; succeeded: Job }> {
  const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
  const queued = (await w.jobs.get(jobId))!;
  await processJob(w.queue.messages.pro[0], 1, { jobs: w.jobs, marketData: w.marketData, clock: w.clock });
  return { queued, succeeded: (await w.jobs.get(jobId))! };
}

describe('notifyProgress', () => {
  it('sends every subscriber a small terminal message with a result summary', async () => {
    const w = world();
    const { queued, succeeded } = await jobPair(w);
    await w.connections.subscribe('c1', succeeded.jobId, 0);
    await w.connections.subscribe('c2', succeeded.jobId, 0);
    const outcome = await notifyProgress({ oldJob: queued, newJob: succeeded }, w);
    expect(outcome).toEqual({ relevant: true, sent: 2, gone: 0 });
    const msg = w.push.to('c1')[0];
    expect(msg).toMatchObject({ type: 'progress', jobId: succeeded.jobId, status: 'succeeded', progress: 1, at: succeeded.updatedAt });
    expect(msg.result).toMatchObject({ tradesTotal: succeeded.result!.tradesTotal });
    expect(msg.result).not.toHaveProperty('trades');
    expect(JSON.stringify(msg).length).toBeLessThan(4096);
  });

  it('sends nothing for writes clients cannot see', async () => {
    const w = world();
    const { succeeded } = await jobPair(w);
    await w.connections.subscribe('c1', succeeded.jobId, 0);
    const unchanged = await notifyProgress({ oldJob: succeeded, newJob: { ...succeeded, creditsCharged: 0 } }, w);
    const removed = await notifyProgress({ oldJob: succeeded }, w);
    expect([unchanged.relevant, removed.relevant]).toEqual([false, false]);
    expect(w.push.sent).toHaveLength(0);
  });

  it('carries the error of a failed job', async () => {
    const w = world();
    const { queued } = await jobPair(w);
    const failed: Job = { ...queued, status: 'failed', message: 'x', error: { code: 'unknown_symbol', message: 'unknown symbol' } };
    await w.connections.subscribe('c1', queued.jobId, 0);
    await notifyProgress({ oldJob: queued, newJob: failed }, w);
    expect(w.push.to('c1')[0]).toMatchObject({ status: 'failed', error: { code: 'unknown_symbol' } });
  });

  it('deletes connections that are gone (410) and still reaches the others', async () => {
    const w = world();
    const { queued, succeeded } = await jobPair(w);
    await w.connections.putConnection('dead', 'alice', 0);
    await w.connections.subscribe('dead', queued.jobId, 0);
    await w.connections.subscribe('live', queued.jobId, 0);
    w.push.gone.add('dead');
    expect(await notifyProgress({ oldJob: queued, newJob: succeeded }, w)).toEqual({ relevant: true, sent: 1, gone: 1 });
    expect(await w.connections.getConnection('dead')).toBeUndefined();
    expect(await w.connections.subscribers(queued.jobId)).toEqual(['live']);
  });

  it('throws after trying everyone when a push fails for another reason, so the stream record is retried', async () => {
    const w = world();
    const { queued, succeeded } = await jobPair(w);
    await w.connections.subscribe('flaky', queued.jobId, 0);
    await w.connections.subscribe('ok', queued.jobId, 0);
    w.push.failing.add('flaky');
    await expect(notifyProgress({ oldJob: queued, newJob: succeeded }, w)).rejects.toThrow(/1 of 2 pushes/);
    expect(w.push.to('ok')).toHaveLength(1);
  });
});

describe('WebSocket session', () => {
  it('connects, subscribes with an immediate compact snapshot, then receives progress', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    await connect(principal('alice', 'pro'), 'c1', w);
    await handleClientMessage(principal('alice', 'pro'), 'c1', JSON.stringify({ action: 'subscribe', jobId }), w);
    expect(w.push.to('c1')).toEqual([{ type: 'snapshot', job: expect.objectContaining({ jobId, status: 'queued' }) }]);
    expect(await w.connections.subscribers(jobId)).toEqual(['c1']);

    // The worker claims the job and writes progress; the stream hands each change to the notifier.
    const queued = (await w.jobs.get(jobId))!;
    await w.jobs.claim(jobId, 1, '2024-03-01T12:00:01.000Z');
    const running = (await w.jobs.get(jobId))!;
    await w.jobs.saveProgress(jobId, 1, 0.5, 'Backtesting SYNTH-A: 50%', '2024-03-01T12:00:02.000Z');
    const halfway = (await w.jobs.get(jobId))!;
    await notifyProgress({ oldJob: queued, newJob: running }, w);
    await notifyProgress({ oldJob: running, newJob: halfway }, w);

    expect(w.push.to('c1').slice(1)).toEqual([
      expect.objectContaining({ type: 'progress', jobId, status: 'running', progress: 0, at: '2024-03-01T12:00:01.000Z' }),
      expect.objectContaining({ type: 'progress', jobId, status: 'running', progress: 0.5, message: 'Backtesting SYNTH-A: 50%', at: '2024-03-01T12:00:02.000Z' }),
    ]);
  });

  it('sends a finished job its terminal snapshot, without trades or curve, and does not subscribe', async () => {
    const w = world();
    const { succeeded } = await jobPair(w);
    await handleClientMessage(principal('alice', 'pro'), 'c1', JSON.stringify({ action: 'subscribe', jobId: succeeded.jobId }), w);
    const [snapshot] = w.push.to('c1') as [{ job: Record<string, unknown> }];
    expect(snapshot.job).toMatchObject({ status: 'succeeded', result: { tradesTotal: succeeded.result!.tradesTotal } });
    expect(JSON.stringify(snapshot)).not.toContain('equityCurve');
    expect(JSON.stringify(snapshot)).not.toContain('entryPrice');
    expect(await w.connections.subscribers(succeeded.jobId)).toEqual([]);
  });

  it("answers another user's job with not_found and stores nothing", async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    await handleClientMessage(principal('mallory', 'pro'), 'm1', JSON.stringify({ action: 'subscribe', jobId }), w);
    expect(w.push.to('m1')).toEqual([{ type: 'error', code: 'not_found', jobId }]);
    expect(await w.connections.subscribers(jobId)).toEqual([]);
  });

  it('explains bad frames: invalid JSON, unknown action, missing jobId', async () => {
    const w = world();
    for (const frame of ['{not json', JSON.stringify({ action: 'dance' }), JSON.stringify({ action: 'subscribe' }), '', 'x'.repeat(10_000)]) {
      await handleClientMessage(principal(), 'c1', frame, w);
    }
    const replies = w.push.to('c1');
    expect(replies).toHaveLength(5);
    for (const r of replies) expect(r).toMatchObject({ type: 'error', code: 'bad_request', message: expect.any(String) });
    expect(replies[1].message).toContain('dance');
  });

  it('unsubscribes and disconnects (which drops every subscription)', async () => {
    const w = world();
    const { jobId } = await submitBacktest(principal('alice', 'pro'), submitBody(), undefined, w);
    await connect(principal('alice', 'pro'), 'c1', w);
    await handleClientMessage(principal('alice', 'pro'), 'c1', JSON.stringify({ action: 'subscribe', jobId }), w);
    await handleClientMessage(principal('alice', 'pro'), 'c1', JSON.stringify({ action: 'unsubscribe', jobId }), w);
    expect(await w.connections.subscribers(jobId)).toEqual([]);
    await handleClientMessage(principal('alice', 'pro'), 'c1', JSON.stringify({ action: 'subscribe', jobId }), w);
    await disconnect('c1', w);
    expect(await w.connections.subscribers(jobId)).toEqual([]);
    expect(await w.connections.getConnection('c1')).toBeUndefined();
  });
});
