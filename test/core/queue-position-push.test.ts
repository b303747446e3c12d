import { describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/core/job.ts';
import { placeWorthTelling, queueMovedTier, refreshQueuePositions } from '../../lambdas/core/use-cases/notify-progress.ts';
import { submitBacktest } from '../../lambdas/core/use-cases/submit-backtest.ts';
import { handleClientMessage } from '../../lambdas/core/use-cases/websocket-session.ts';
import { principal, submitBody, world } from './support.ts';

/** Four free-tier jobs of four users, one second apart (oldest first). */
async function fourQueued(w: ReturnType<typeof world>): Promise<string[]> {
  const ids: string[] = [];
  for (const user of ['ann', 'bob', 'cat', 'dan']) {
    ids.push((await submitBacktest(principal(user, 'free'), submitBody(), undefined, w)).jobId);
    w.clock.advance(1000);
  }
  return ids;
}

const deps = (w: ReturnType<typeof world>) => ({ connections: w.connections, push: w.push, jobs: w.jobs, now: () => w.clock.now() });

describe('queue position on the WebSocket', () => {
  it('the subscribe snapshot of a queued job carries its queuePosition and etaSeconds', async () => {
    const w = world();
    const ids = await fourQueued(w);
    await handleClientMessage(principal('dan', 'free'), 'c-dan', JSON.stringify({ action: 'subscribe', jobId: ids[3] }), w);
    await handleClientMessage(principal('ann', 'free'), 'c-ann', JSON.stringify({ action: 'subscribe', jobId: ids[0] }), w);

    const [dan, ann] = [w.push.to('c-dan')[0], w.push.to('c-ann')[0]] as { job: { queuePosition: number; etaSeconds: number } }[];
    expect(dan.job.queuePosition).toBe(3);
    expect(ann.job.queuePosition).toBe(0);
    expect(dan.job.etaSeconds).toBeGreaterThanOrEqual(ann.job.etaSeconds);
    expect(ann.job.etaSeconds).toBeGreaterThanOrEqual(1);
  });

  it('a job leaving the queue moves the others up: their subscribers get the new position; jobs nobody watches get nothing', async () => {
    const w = world();
    const ids = await fourQueued(w);
    await w.connections.subscribe('c-bob', ids[1], 0);
    await w.connections.subscribe('c-dan', ids[3], 0);
    await w.connections.subscribe('c-dan-2', ids[3], 0);
    // ids[2] (cat) has no subscriber.

    const before = (await w.jobs.get(ids[0]))!;
    const claimed = await w.jobs.claim(ids[0], 1, new Date(w.clock.now()).toISOString());
    expect(claimed.kind).toBe('claimed');
    const after = (await w.jobs.get(ids[0]))!;
    expect(queueMovedTier({ oldJob: before, newJob: after })).toBe('free');

    const outcome = await refreshQueuePositions('free', deps(w));

    expect(outcome).toEqual({ queued: 3, watched: 2, sent: 3, gone: 0, failed: 0 });
    const bob = w.push.to('c-bob');
    expect(bob).toHaveLength(1);
    const bobJob = (await w.jobs.get(ids[1]))!;
    expect(bob[0]).toMatchObject({ type: 'progress', jobId: ids[1], status: 'queued', progress: 0, message: bobJob.message, at: bobJob.updatedAt, queuePosition: 0 });
    expect(bob[0].etaSeconds).toEqual(expect.any(Number));
    expect(w.push.to('c-dan')).toEqual([expect.objectContaining({ jobId: ids[3], queuePosition: 2 })]);
    expect(w.push.to('c-dan-2')).toEqual(w.push.to('c-dan'));
    expect(w.push.sent.map((s) => (s.message as { jobId: string }).jobId)).not.toContain(ids[2]);
    // The job that left is told by its own stream record, not by the refresh.
    expect(w.push.sent.map((s) => (s.message as { jobId: string }).jobId)).not.toContain(ids[0]);
  });

  it('a refresh stamps each message with positionAt, the time it read the queue; the snapshot with when it computed the place', async () => {
    const w = world();
    const ids = await fourQueued(w);
    await w.connections.subscribe('c-bob', ids[1], 0);
    await w.connections.subscribe('c-dan', ids[3], 0);
    await w.jobs.claim(ids[0], 1, new Date(w.clock.now()).toISOString());
    const readAt = new Date(w.clock.now()).toISOString();
    // The queue reads take time (the clock moves on during them), so the posts go out after the queue was read: the
    // stamp must be the read's, not the post's, or a place read earlier could look newer than one read later.
    const jobs = new Proxy(w.jobs, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== 'listLive') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<typeof w.jobs.listLive>) => {
          const listed = await w.jobs.listLive(...args);
          w.clock.advance(700);
          return listed;
        };
      },
    });

    await refreshQueuePositions('free', { ...deps(w), jobs });

    const [bob, dan] = [w.push.to('c-bob'), w.push.to('c-dan')];
    expect(w.clock.now()).toBeGreaterThan(Date.parse(readAt));
    expect(bob).toEqual([expect.objectContaining({ queuePosition: 0, positionAt: readAt })]);
    expect(dan).toEqual([expect.objectContaining({ queuePosition: 2, positionAt: readAt })]);
    // `at` stays the job's own updatedAt.
    expect(bob[0].at).toBe((await w.jobs.get(ids[1]))!.updatedAt);

    w.clock.advance(5000);
    const snapshotAt = new Date(w.clock.now()).toISOString();
    await handleClientMessage(principal('cat', 'free'), 'c-cat', JSON.stringify({ action: 'subscribe', jobId: ids[2] }), w);
    expect(w.push.to('c-cat')[0]).toMatchObject({ type: 'snapshot', job: { jobId: ids[2], queuePosition: 1, positionAt: snapshotAt } });
    // A running job has no place, so no positionAt.
    await handleClientMessage(principal('ann', 'free'), 'c-ann', JSON.stringify({ action: 'subscribe', jobId: ids[0] }), w);
    expect(w.push.to('c-ann')[0]).toMatchObject({ type: 'snapshot', job: { jobId: ids[0], status: 'running' } });
    expect((w.push.to('c-ann')[0] as { job: object }).job).not.toHaveProperty('positionAt');
  });

  it('a later job moves up as each one ahead leaves: positions only decrease', async () => {
    const w = world();
    const ids = await fourQueued(w);
    await w.connections.subscribe('c-dan', ids[3], 0);
    for (const [i, id] of ids.slice(0, 3).entries()) {
      await w.jobs.claim(id, 1, new Date(w.clock.now()).toISOString());
      await refreshQueuePositions('free', deps(w));
      expect(w.push.to('c-dan').at(-1)).toMatchObject({ queuePosition: 2 - i });
    }
    expect(w.push.to('c-dan').map((m) => m.queuePosition)).toEqual([2, 1, 0]);
  });

  it('skips subscribers whose token expired, deletes gone connections, and counts failed posts without throwing', async () => {
    const w = world();
    const ids = await fourQueued(w);
    const nowSec = Math.floor(w.clock.now() / 1000);
    await w.connections.subscribe('c-expired', ids[1], 0, nowSec - 1);
    await w.connections.putConnection('c-gone', 'cat', 0);
    await w.connections.subscribe('c-gone', ids[2], 0);
    await w.connections.subscribe('c-flaky', ids[3], 0);
    await w.connections.subscribe('c-ok', ids[3], 0);
    w.push.gone.add('c-gone');
    w.push.failing.add('c-flaky');

    const outcome = await refreshQueuePositions('free', deps(w));

    expect(outcome).toEqual({ queued: 4, watched: 2, sent: 1, gone: 1, failed: 1 });
    expect(w.push.to('c-expired')).toEqual([]);
    expect(await w.connections.getConnection('c-gone')).toBeUndefined();
    expect(w.push.to('c-ok')).toEqual([expect.objectContaining({ jobId: ids[3], queuePosition: 3 })]);
  });

  it('reads at most the first `scan` queued jobs of the tier', async () => {
    const w = world();
    const ids = await fourQueued(w);
    for (const [i, id] of ids.entries()) await w.connections.subscribe(`c${i}`, id, 0);
    const outcome = await refreshQueuePositions('free', deps(w), 10, 2);
    expect(outcome).toMatchObject({ queued: 2, watched: 2, sent: 2 });
    expect(w.push.to('c3')).toEqual([]);
  });

  it('a deep queue hears every move in its first ten places, and further back only when a place enters another ten', async () => {
    expect([0, 1, 9].map((p) => placeWorthTelling(p, 1))).toEqual([true, true, true]);
    // One job left: 40 -> 39 crosses into the thirties; 38 -> 37 does not. The rule does not know the move's direction
    // (a retry re-queues a job ahead of others), so 40 (from 41, or from 39) is told as well: one extra post per ten.
    expect(placeWorthTelling(39, 1)).toBe(true);
    expect(placeWorthTelling(40, 1)).toBe(true);
    expect(placeWorthTelling(37, 1)).toBe(false);
    expect(placeWorthTelling(35, 3)).toBe(false);
    // Three left in one batch: 41 -> 38 crossed, although 38 is next to no boundary.
    expect(placeWorthTelling(38, 3)).toBe(true);

    // On a queue of 25 watched jobs, after the front one starts, places 0-10, 19 and 20 hear of it; 11-18 and 21-23 do not.
    const w = world();
    const ids: string[] = [];
    for (let i = 0; i < 26; i++) {
      ids.push((await submitBacktest(principal(`u${i}`, 'free'), submitBody(), undefined, w)).jobId);
      w.clock.advance(1000);
    }
    for (const [i, id] of ids.entries()) await w.connections.subscribe(`c${i}`, id, 0);
    await w.jobs.claim(ids[0], 1, new Date(w.clock.now()).toISOString());
    const outcome = await refreshQueuePositions('free', deps(w));
    const told = w.push.sent.map((m) => (m.message as { queuePosition: number }).queuePosition).sort((a, b) => a - b);
    expect(told).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 19, 20]);
    expect(outcome).toMatchObject({ queued: 25, watched: 13, sent: 13 });
  });

  it('only a move into or out of the queue moves the queue: not a new job, not progress of a running one', () => {
    const job = { jobId: 'j', tier: 'pro', status: 'queued', progress: 0, message: 'Queued' } as Job;
    const running = { ...job, status: 'running' as const };
    expect(queueMovedTier({ newJob: job })).toBeUndefined();
    expect(queueMovedTier({ oldJob: running, newJob: { ...running, progress: 0.5 } })).toBeUndefined();
    expect(queueMovedTier({ oldJob: job, newJob: { ...job, status: 'cancelled' } })).toBe('pro');
    expect(queueMovedTier({ oldJob: job, newJob: { ...job, status: 'failed' } })).toBe('pro');
    // A retry puts a crashed job back, ahead of the jobs queued after it: they move back.
    expect(queueMovedTier({ oldJob: running, newJob: job })).toBe('pro');
  });
});
