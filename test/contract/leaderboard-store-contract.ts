import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { rankKey, type LeaderboardEntry } from '../../lambdas/core/leaderboard-entry.ts';
import type { LeaderboardStore, PendingPublication } from '../../lambdas/core/ports/leaderboard-store.ts';

/** An entry on `board` with the given out-of-sample Sharpe and return. */
export function contractEntry(board: string, entryId: string, sharpe: number, publishedAt: string, returnPct = 0): LeaderboardEntry {
  const stats = { sharpe, returnPct, maxDrawdownPct: -10, sortino: 1, calmar: 1 } as unknown as LeaderboardEntry['outOfSample']['stats'];
  const window = { startDate: '2011-01-01', endDate: '2014-12-31' };
  return {
    entryId,
    board,
    displayName: `Name ${entryId.slice(0, 8)}`,
    strategyId: 'sma-cross',
    params: { fast: 10, slow: 30 },
    costs: { initialCash: 10_000, commission: 0, slippageBps: 0, sizing: 'all-in', fractional: false },
    publishedAt,
    engineVersion: '1.0.0',
    inSample: { ...window, stats, barsSha256: 'a'.repeat(64) },
    outOfSample: { ...window, stats, barsSha256: 'b'.repeat(64) },
    gap: { sharpe: 0, returnPct: 0, cagrPct: 0, maxDrawdownPct: 0 },
    deflatedSharpe: { probability: 0.9, sharpe: 0.05, expectedMaxSharpe: 0.01, trials: 6, observations: 2700, skewness: 0, kurtosis: 3, varianceBasis: 'all' },
  };
}

/** The LeaderboardStore contract, run by the in-memory fake and the DynamoDB adapter. */
export function describeLeaderboardStoreContract(name: string, makeStore: () => Promise<LeaderboardStore>): void {
  describe(`LeaderboardStore contract: ${name}`, () => {
    let store: LeaderboardStore;
    // Unique boards per test: the real store shares one table across the file.
    let board: string;
    beforeEach(async () => {
      store = await makeStore();
      board = `board-${randomUUID()}`;
    });

    it('counts publishes per user and window and refuses past the limit', async () => {
      const user = `u-${randomUUID()}`;
      const exp = Math.floor(Date.now() / 1000) + 3600;
      expect(await store.takePublishSlot(user, '2024-03-01T12', 2, exp)).toBe(true);
      expect(await store.takePublishSlot(user, '2024-03-01T12', 2, exp)).toBe(true);
      expect(await store.takePublishSlot(user, '2024-03-01T12', 2, exp)).toBe(false);
      expect(await store.takePublishSlot(user, '2024-03-01T13', 2, exp)).toBe(true);
    });

    it('keeps a pending publication until it is deleted', async () => {
      const id = randomUUID();
      const { outOfSample: _o, gap: _g, entryId: _e, publishedAt: _p, ...rest } = contractEntry(board, 'x', 1, '2024-01-01T00:00:00.000Z');
      const pending: PendingPublication = { outOfSampleJobId: id, ownerKey: 'owner', createdAt: '2024-01-01T00:00:00.000Z', entry: { ...rest, outOfSample: { startDate: '2011-01-01', endDate: '2014-12-31', barsSha256: 'c' } } };
      await store.putPending(pending, Math.floor(Date.now() / 1000) + 3600);
      expect(await store.getPending(id)).toEqual(pending);
      await store.deletePending(id);
      expect(await store.getPending(id)).toBeUndefined();
    });

    it("replaces the owner's entry only if it is still the one the caller read; the old entry leaves every ranking", async () => {
      const a = contractEntry(board, randomUUID(), 1, '2024-01-01T00:00:00.000Z');
      const b = contractEntry(board, randomUUID(), 2, '2024-01-02T00:00:00.000Z');
      const c = contractEntry(board, randomUUID(), 3, '2024-01-03T00:00:00.000Z');
      expect(await store.replaceOwnerEntry('owner', undefined, a)).toBe(true);
      expect(await store.replaceOwnerEntry('owner', undefined, b)).toBe(false);
      expect(await store.replaceOwnerEntry('owner', a.entryId, b)).toBe(true);
      expect(await store.replaceOwnerEntry('owner', a.entryId, c)).toBe(false);
      expect(await store.ownerEntry(board, 'owner')).toEqual(b);
      expect(await store.getEntry(board, a.entryId)).toBeUndefined();
      for (const metric of ['sharpe', 'return', 'maxDrawdown', 'sortino', 'calmar'] as const) {
        expect((await store.rank(board, metric, 10)).entries.map((e) => e.entryId)).toEqual([b.entryId]);
      }
      expect(await store.removeOwnerEntry(board, 'owner')).toBe(true);
      expect(await store.removeOwnerEntry(board, 'owner')).toBe(false);
      expect((await store.rank(board, 'sharpe', 10)).entries).toEqual([]);
    });

    it('of concurrent first publishes by one owner exactly one wins', async () => {
      const entries = Array.from({ length: 6 }, (_, i) => contractEntry(board, randomUUID(), i, '2024-01-01T00:00:00.000Z'));
      const won = await Promise.all(entries.map((e) => store.replaceOwnerEntry('same-owner', undefined, e)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect((await store.rank(board, 'sharpe', 10)).entries).toHaveLength(1);
    });

    it('ranks best first by each metric with the documented tie-breaks, and pages stay stable while entries arrive', async () => {
      let n = 0;
      const arrive = async (count: number): Promise<LeaderboardEntry[]> => {
        const batch = Array.from({ length: count }, () => {
          n += 1;
          return contractEntry(board, `e${String(n).padStart(3, '0')}-${randomUUID().slice(0, 4)}`, (n * 7) % 4, `2024-01-01T00:00:${String(n % 5).padStart(2, '0')}.000Z`, n);
        });
        await Promise.all(batch.map((e) => store.replaceOwnerEntry(`owner-${e.entryId}`, undefined, e)));
        return batch;
      };
      const initial = await arrive(23);
      const seen: string[] = [];
      const keys: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.rank(board, 'sharpe', 5, after);
        for (const e of page.entries) {
          seen.push(e.entryId);
          keys.push(rankKey(e.outOfSample.stats.sharpe, e.publishedAt, e.entryId));
        }
        if (page.lastKey === undefined) break;
        after = page.lastKey;
        await arrive(2);
      }
      expect(new Set(seen).size).toBe(seen.length);
      for (const e of initial) expect(seen).toContain(e.entryId);
      expect([...keys].sort()).toEqual(keys);
      const byReturn = await store.rank(board, 'return', 3);
      expect(byReturn.entries.map((e) => e.outOfSample.stats.returnPct)).toEqual([n, n - 1, n - 2]);
    });
  });
}
