import { describe, expect, it } from 'vitest';
import { localConcurrency, tierNice } from '../../local/stack.ts';
import { readLocalConfig } from '../../local/config.ts';

// The local stack's answer to a starving progress path under load (docs/performance.md): as many worker invocations
// as threads, a shared pool that gives freed threads to pro first (test/local/slot-scheduler.test.ts), and with
// per-tier pools pro's threads ahead of basic's and free's for the CPU.
describe('local worker concurrency and priority', () => {
  const threads = { free: 1, basic: 1, pro: 2 };

  it('caps each poller at threads x invocations per thread, never under the SQS minimum of 2', () => {
    expect(localConcurrency(threads, 1)).toEqual({ free: 2, basic: 2, pro: 2 });
    expect(localConcurrency({ free: 1, basic: 3, pro: 4 }, 1)).toEqual({ free: 2, basic: 3, pro: 4 });
    expect(localConcurrency(threads, 3)).toEqual({ free: 3, basic: 3, pro: 6 });
    // Never above the tier table's maxConcurrency (free 5, basic 20, pro 50): a large value is the old interleaving.
    expect(localConcurrency(threads, 1000)).toEqual({ free: 5, basic: 20, pro: 50 });
  });

  it('lets each tier of a shared pool use every thread: max(2, threads x invocations per thread) for each', () => {
    expect(localConcurrency(2, 1)).toEqual({ free: 2, basic: 2, pro: 2 });
    expect(localConcurrency(4, 1)).toEqual({ free: 4, basic: 4, pro: 4 });
    expect(localConcurrency(8, 1)).toEqual({ free: 5, basic: 8, pro: 8 });
  });

  it('keeps explicit concurrency, and the tier table when no cap is asked for', () => {
    expect(localConcurrency(threads, 1, { pro: 10 })).toEqual({ free: 2, basic: 2, pro: 10 });
    expect(localConcurrency(threads, undefined, { pro: 10 })).toEqual({ pro: 10 });
    expect(localConcurrency(threads, undefined)).toEqual({});
  });

  it('refuses a cap that is not a whole number >= 1', () => {
    expect(() => localConcurrency(threads, 0)).toThrow(/invocationsPerThread/);
  });

  it('gives pro the lowest nice value, then basic, then free, within 0-19; 0 keeps every tier at normal priority', () => {
    expect([tierNice(10, 'pro'), tierNice(10, 'basic'), tierNice(10, 'free')]).toEqual([10, 13, 16]);
    expect(tierNice(17, 'free')).toBe(19);
    expect([tierNice(0, 'pro'), tierNice(0, 'free')]).toEqual([0, 0]);
  });

  it('LOCAL_WORKER_THREADS: a number is one shared pool, per tier is a pool each; anything else is refused', () => {
    expect(readLocalConfig({}).LOCAL_WORKER_THREADS).toBeUndefined();
    expect(readLocalConfig({ LOCAL_WORKER_THREADS: '3' }).LOCAL_WORKER_THREADS).toBe(3);
    expect(readLocalConfig({ LOCAL_WORKER_THREADS: 'free=1,pro=2' }).LOCAL_WORKER_THREADS).toEqual({ free: 1, pro: 2 });
    expect(() => readLocalConfig({ LOCAL_WORKER_THREADS: '0' })).toThrow(/LOCAL_WORKER_THREADS/);
    expect(() => readLocalConfig({ LOCAL_WORKER_THREADS: 'two' })).toThrow(/LOCAL_WORKER_THREADS/);
  });

  it('npm start runs one invocation per thread unless LOCAL_INVOCATIONS_PER_THREAD says otherwise', () => {
    expect(readLocalConfig({}).LOCAL_INVOCATIONS_PER_THREAD).toBe(1);
    expect(readLocalConfig({ LOCAL_INVOCATIONS_PER_THREAD: '4' }).LOCAL_INVOCATIONS_PER_THREAD).toBe(4);
    expect(() => readLocalConfig({ LOCAL_INVOCATIONS_PER_THREAD: '0' })).toThrow(/LOCAL_INVOCATIONS_PER_THREAD/);
  });
});
