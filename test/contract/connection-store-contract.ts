import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionStore } from '../../lambdas/core/ports/connection-store.ts';

// Now, not a fixed date: DynamoDB Local's TTL really deletes connections whose expiry has passed.
const NOW = Date.now();

/** The ConnectionStore contract, run by the in-memory fake and the DynamoDB adapter. */
export function describeConnectionStoreContract(name: string, makeStore: () => Promise<ConnectionStore>): void {
  describe(`ConnectionStore contract: ${name}`, () => {
    let store: ConnectionStore;
    // Unique ids per test: the real store shares one table across the file.
    const id = (label: string): string => `${label}-${randomUUID()}`;

    beforeEach(async () => {
      store = await makeStore();
    });

    it('remembers who a connection belongs to', async () => {
      const c = id('conn');
      await store.putConnection(c, 'alice', NOW);

      expect(await store.getConnection(c)).toEqual({ userId: 'alice' });
      expect(await store.getConnection(id('unknown'))).toBeUndefined();
    });

    it('lists the subscribers of a job, sorted, each once', async () => {
      const [a, b, jobId] = [id('a'), id('b'), id('job')];
      await store.putConnection(a, 'alice', NOW);
      await store.putConnection(b, 'alice', NOW);

      await store.subscribe(b, jobId, NOW);
      await store.subscribe(a, jobId, NOW);
      await store.subscribe(a, jobId, NOW + 1);

      expect(await store.subscribers(jobId)).toEqual([a, b].sort());
      expect(await store.subscribers(id('other-job'))).toEqual([]);
    });

    it('unsubscribes one connection from one job', async () => {
      const [a, b, job1, job2] = [id('a'), id('b'), id('job'), id('job')];
      for (const c of [a, b]) await store.putConnection(c, 'alice', NOW);
      await store.subscribe(a, job1, NOW);
      await store.subscribe(b, job1, NOW);
      await store.subscribe(a, job2, NOW);

      await store.unsubscribe(a, job1);

      expect(await store.subscribers(job1)).toEqual([b]);
      expect(await store.subscribers(job2)).toEqual([a]);
    });

    it('deletes a connection with every subscription it had, leaving others alone', async () => {
      const [gone, stays] = [id('gone'), id('stays')];
      await store.putConnection(gone, 'alice', NOW);
      await store.putConnection(stays, 'bob', NOW);
      // More than one DynamoDB batch (25) of pairs to clean up.
      const jobs = Array.from({ length: 30 }, () => id('job'));
      for (const jobId of jobs) await store.subscribe(gone, jobId, NOW);
      await store.subscribe(stays, jobs[0], NOW);

      await store.deleteConnection(gone);

      expect(await store.getConnection(gone)).toBeUndefined();
      expect(await store.getConnection(stays)).toEqual({ userId: 'bob' });
      expect(await store.subscribers(jobs[0])).toEqual([stays]);
      for (const jobId of jobs.slice(1)) expect(await store.subscribers(jobId)).toEqual([]);
    });

    it('deleting an unknown connection is not an error', async () => {
      await expect(store.deleteConnection(id('never-seen'))).resolves.toBeUndefined();
    });
  });
}
