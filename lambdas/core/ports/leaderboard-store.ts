import type { LeaderboardEntry, RankMetric } from '../leaderboard-entry.ts';

/**
 * A publication waiting for its out-of-sample job: everything the entry needs except the out-of-sample stats, stored
 * before that job is submitted so the job's success always finds it. Keyed by the out-of-sample job's id.
 */
export interface PendingPublication {
  outOfSampleJobId: string;
  /** Whose publication: never part of an entry, only used to key the owner's single entry. */
  ownerKey: string;
  createdAt: string;
  /** The entry minus the out-of-sample stats and gap (filled when the job succeeds). */
  entry: Omit<LeaderboardEntry, 'outOfSample' | 'gap' | 'entryId' | 'publishedAt'> & {
    outOfSample: { startDate: string; endDate: string; barsSha256: string };
  };
}

/** A page of one board, best first, and the cursor after its last entry (absent on the last page). */
export interface RankedPage {
  entries: LeaderboardEntry[];
  /** The rank key of the last entry returned: the next page starts strictly after it. */
  lastKey?: string;
}

export type SaveOutcome = 'stored' | 'replaced' | 'kept-previous';

/**
 * Where published entries live, ranked per metric by an index (keyset pages: a page starts strictly after the last
 * key of the one before, so entries that arrive meanwhile never shift an entry into a page twice or out of all pages).
 * The port exists so the use cases run against an in-memory fake and DynamoDB alike.
 */
export interface LeaderboardStore {
  /**
   * Counts one publish of `userId` in the window `windowKey` (e.g. the UTC hour); false when `limit` were already
   * counted there (nothing counted then). Entries expire at `expiresAt` (epoch seconds).
   */
  takePublishSlot(userId: string, windowKey: string, limit: number, expiresAt: number): Promise<boolean>;
  putPending(pending: PendingPublication, expiresAt: number): Promise<void>;
  getPending(outOfSampleJobId: string): Promise<PendingPublication | undefined>;
  deletePending(outOfSampleJobId: string): Promise<void>;
  /** The owner's current entry on the board, if any. */
  ownerEntry(board: string, ownerKey: string): Promise<LeaderboardEntry | undefined>;
  /**
   * Makes `entry` the owner's entry on its board, atomically, if the owner's current entry id is still `expected`
   * (undefined: the owner has none); the old entry disappears from every ranking in the same write. False when
   * another write changed the owner's entry first (the caller re-reads and decides again).
   */
  replaceOwnerEntry(ownerKey: string, expected: string | undefined, entry: LeaderboardEntry): Promise<boolean>;
  /** Removes the owner's entry from the board; false when there was none. */
  removeOwnerEntry(board: string, ownerKey: string): Promise<boolean>;
  getEntry(board: string, entryId: string): Promise<LeaderboardEntry | undefined>;
  /** Up to `limit` entries of the board by `metric`, best first, starting after `afterKey`. */
  rank(board: string, metric: RankMetric, limit: number, afterKey?: string): Promise<RankedPage>;
}
