import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { threadFaultSeed, WorkerPool } from '../../local/worker-pool.ts';
import { seededRandom } from '../../lambdas/adapters/fault-injection.ts';
import { silentLogger } from '../../local/http-util.ts';

const ENTRY = fileURLToPath(new URL('./support/env-echo-handler.ts', import.meta.url));
type Echo = { threadId: number; seed: string | undefined; tier: string | undefined };

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const startPool = async (env: Record<string, string>, threads = 2): Promise<WorkerPool> => {
  pool = new WorkerPool({ entry: ENTRY, functions: [{ name: 'worker-pro', env }], threads, timeoutMs: 10_000, log: silentLogger });
  await pool.ready();
  return pool;
};
/** One invocation per thread: held concurrently, each goes to the least busy thread. */
const echoEveryThread = async (p: WorkerPool, threads = 2): Promise<Echo[]> =>
  (await Promise.all(Array.from({ length: threads }, () => p.invoke('worker-pro', { holdMs: 200 })))) as Echo[];

describe('local worker pool: FAULT_SEED per thread', () => {
  it('gives each thread its own seed derived from FAULT_SEED and its index, so their fault draws are not the same sequence', async () => {
    const p = await startPool({ FAULT_SEED: '42' });

    const echoes = await echoEveryThread(p);

    expect(new Set(echoes.map((e) => e.threadId)).size).toBe(2);
    expect(echoes.map((e) => e.seed).sort()).toEqual([String(threadFaultSeed(42, 'worker-pro', 0)), String(threadFaultSeed(42, 'worker-pro', 1))].sort());
    const draws = echoes.map((e) => {
      const random = seededRandom(Number(e.seed), 'worker-crash');
      return Array.from({ length: 20 }, () => random() < 0.3);
    });
    expect(draws[0]).not.toEqual(draws[1]);
  });

  it('differs between tiers, and gives a replacement thread a fresh index (it does not replay the dead thread draws)', async () => {
    const p = await startPool({ FAULT_SEED: '42' }, 1);
    expect(threadFaultSeed(42, 'worker-free', 0)).not.toBe(threadFaultSeed(42, 'worker-pro', 0));

    const busy = p.invoke('worker-pro', { holdMs: 5_000 });
    busy.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await p.killBusyThreads()).toBe(1);
    await expect(busy).rejects.toThrow(/exited/);
    const [replacement] = await echoEveryThread(p, 1);

    expect(replacement.seed).toBe(String(threadFaultSeed(42, 'worker-pro', 1)));
  });

  it('leaves the environment alone without FAULT_SEED, and passes a malformed one through for the handler to refuse', async () => {
    expect((await echoEveryThread(await startPool({}), 2)).map((e) => e.seed)).toEqual([undefined, undefined]);
    await pool?.close();

    expect((await echoEveryThread(await startPool({ FAULT_SEED: 'abc' }), 2)).map((e) => e.seed)).toEqual(['abc', 'abc']);
  });
});

describe('local worker pool: several functions on the same threads (the tiers\' shared pool)', () => {
  const tierEnv = (tier: string): Record<string, string> => ({ TIER: tier, FAULT_SEED: '42' });

  it('loads one handler instance per function in every thread, each with its own environment at its cold start', async () => {
    pool = new WorkerPool({
      entry: ENTRY,
      functions: ['free', 'basic', 'pro'].map((tier) => ({ name: `worker-${tier}`, env: tierEnv(tier) })),
      threads: 2,
      timeoutMs: 10_000,
      log: silentLogger,
    });
    await pool.ready();

    const echoes = (await Promise.all(
      ['free', 'basic', 'pro', 'free', 'basic', 'pro'].map((tier) => pool!.invoke(`worker-${tier}`, { holdMs: 200 }).then((e) => ({ ...(e as Echo), fn: tier }))),
    )) as (Echo & { fn: string })[];

    // Each invocation ran with the instance of its own function: the tier and the per-function seed it was loaded with.
    for (const e of echoes) expect(e.tier).toBe(e.fn);
    const threads = [...new Set(echoes.map((e) => e.threadId))];
    expect(threads).toHaveLength(2);
    const index = (threadId: number): number => threads.sort((a, b) => a - b).indexOf(threadId);
    for (const e of echoes) expect(e.seed).toBe(String(threadFaultSeed(42, `worker-${e.fn}`, index(e.threadId))));
    await expect(pool.invoke('worker-nope', {})).rejects.toThrow(/not a function of this pool/);
  });

  it('kills only the threads running the named function, and fails every invocation on them, whatever its function', async () => {
    pool = new WorkerPool({ entry: ENTRY, functions: [{ name: 'worker-free', env: tierEnv('free') }, { name: 'worker-pro', env: tierEnv('pro') }], threads: 2, timeoutMs: 10_000, log: silentLogger });
    await pool.ready();
    // Two invocations per thread (each goes to the least busy thread): free + pro on one, free + free on the other.
    const calls = ['worker-free', 'worker-pro', 'worker-free', 'worker-free'].map((fn) => pool!.invoke(fn, { holdMs: 3_000 }).then(() => 'done', (e: Error) => e.message));
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(await pool.killBusyThreads('worker-pro')).toBe(2);

    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => /worker-(free|pro): the worker thread exited/.test(o))).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'done')).toHaveLength(2);
  }, 15_000);
});
