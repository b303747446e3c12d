import { RANK_METRICS, rankKey, rankValue, type LeaderboardEntry, type RankMetric } from '../../../lambdas/core/leaderboard-entry.ts';
import type { LeaderboardStore, PendingPublication, RankedPage } from '../../../lambdas/core/ports/leaderboard-store.ts';

const copy = <T>(value: T): T => structuredClone(value);

/**
 * A LeaderboardStore in memory with the DynamoDB adapter's semantics: the owner's slot is replaced only if it still
 * holds the entry the caller read, pages are keyset pages over the same rank keys, and the publish counter refuses
 * past its limit. Values are copied in and out.
 */
export class InMemoryLeaderboardStore implements LeaderboardStore {
  readonly #pending = new Map<string, PendingPublication>();
  readonly #entries = new Map<string, LeaderboardEntry & { ownerKey: string }>();
  readonly #owners = new Map<string, string>();
  readonly #slots = new Map<string, number>();

  async takePublishSlot(userId: string, windowKey: string, limit: number): Promise<boolean> {
    const key = `${userId}#${windowKey}`;
    const used = this.#slots.get(key) ?? 0;
    if (used >= limit) return false;
    this.#slots.set(key, used + 1);
    return true;
  }

  async putPending(pending: PendingPublication): Promise<void> {
    this.#pending.set(pending.outOfSampleJobId, copy(pending));
  }

  async getPending(id: string): Promise<PendingPublication | undefined> {
    const p = this.#pending.get(id);
    return p && copy(p);
  }

  async deletePending(id: string): Promise<void> {
    this.#pending.delete(id);
  }

  pendingCount(): number {
    return this.#pending.size;
  }

  async ownerEntry(board: string, ownerKey: string): Promise<LeaderboardEntry | undefined> {
    const id = this.#owners.get(`${board}#${ownerKey}`);
    return id === undefined ? undefined : this.getEntry(board, id);
  }

  async replaceOwnerEntry(ownerKey: string, expected: string | undefined, entry: LeaderboardEntry): Promise<boolean> {
    const slot = `${entry.board}#${ownerKey}`;
    if (this.#owners.get(slot) !== expected) return false;
    if (expected !== undefined) this.#entries.delete(`${entry.board}#${expected}`);
    this.#entries.set(`${entry.board}#${entry.entryId}`, { ...copy(entry), ownerKey });
    this.#owners.set(slot, entry.entryId);
    return true;
  }

  async removeOwnerEntry(board: string, ownerKey: string): Promise<boolean> {
    const slot = `${board}#${ownerKey}`;
    const id = this.#owners.get(slot);
    if (id === undefined) return false;
    this.#owners.delete(slot);
    this.#entries.delete(`${board}#${id}`);
    return true;
  }

  async getEntry(board: string, entryId: string): Promise<LeaderboardEntry | undefined> {
    const e = this.#entries.get(`${board}#${entryId}`);
    if (!e) return undefined;
    const { ownerKey: _owner, ...entry } = copy(e);
    return entry;
  }

  async rank(board: string, metric: RankMetric, limit: number, afterKey?: string): Promise<RankedPage> {
    void RANK_METRICS[metric];
    const keyed = [...this.#entries.values()]
      .filter((e) => e.board === board)
      .map((e) => ({ key: rankKey(rankValue(e, metric), e.publishedAt, e.entryId), e }))
      .filter(({ key }) => afterKey === undefined || key > afterKey)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = keyed.slice(0, limit);
    const entries = page.map(({ e }) => {
      const { ownerKey: _owner, ...entry } = copy(e);
      return entry;
    });
    // Like DynamoDB's LastEvaluatedKey: present whenever the page is full, even if nothing follows.
    return { entries, ...(page.length === limit ? { lastKey: page[page.length - 1].key } : {}) };
  }
}
