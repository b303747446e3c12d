import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { threadFaultSeed, WorkerPool } from '../../local/worker-pool.ts';
import { seededRandom } from '../../lambdas/adapters/fault-injection.ts';
import { silentLogger } from '../../local/http-util.ts';

const ENTRY = fileURLToPath(new URL('./support/env-echo-handler.ts', import.meta.url));
type Echo = { threadId: number; seed: string | undefined };

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const startPool = async (env: Record<string, string>, threads = 2): Promise<WorkerPool> => {
  pool = new WorkerPool({ entry: ENTRY, functionName: 'worker-pro', threads, env, timeoutMs: 10_000, log: silentLogger });
  await pool.ready();
  return pool;
};
/** One invocation per thread: held concurrently, each goes to the least busy thread. */
const echoEveryThread = async (p: WorkerPool, threads = 2): Promise<Echo[]> =>
  (await Promise.all(Array.from({ length: threads }, () => p.invoke({ holdMs: 200 })))) as Echo[];

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

    const busy = p.invoke({ holdMs: 5_000 });
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
