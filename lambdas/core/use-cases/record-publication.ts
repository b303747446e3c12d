import { randomUUID } from 'node:crypto';
import type { Job } from '../job.ts';
import { entryGap, isBetter, type LeaderboardEntry } from '../leaderboard-entry.ts';
import { isoNow, type Clock } from '../ports/clock.ts';
import type { LeaderboardStore, SaveOutcome } from '../ports/leaderboard-store.ts';

export interface RecordDeps {
  store: LeaderboardStore;
  clock: Clock;
  /** @default crypto.randomUUID */
  newEntryId?: () => string;
  /** Called once with an entry that is now on its board (the WebSocket push to board watchers). */
  onEntry?: (entry: LeaderboardEntry) => Promise<void>;
}

export type RecordOutcome = { kind: 'not-published' } | { kind: 'abandoned'; status: Job['status'] } | { kind: SaveOutcome; entry: LeaderboardEntry };

/** Owner writes that lost a race are re-decided this many times (each loser re-reads the winner's entry). */
const MAX_ATTEMPTS = 5;

/**
 * Called with every job that reached a final state (the Jobs stream). A job with a pending publication becomes an
 * entry when it succeeded: the in-sample numbers recorded at publish beside this job's out-of-sample stats. It replaces
 * the owner's entry for the same strategy on the board only when its out-of-sample Sharpe is higher. Safe to repeat:
 * the pending record is deleted last, and a repeat of an entry that is already stored is not better than itself.
 */
export async function recordPublication(job: Job, deps: RecordDeps): Promise<RecordOutcome> {
  if (job.status !== 'succeeded' && job.status !== 'failed' && job.status !== 'cancelled') return { kind: 'not-published' };
  const pending = await deps.store.getPending(job.jobId);
  if (!pending) return { kind: 'not-published' };
  if (job.status !== 'succeeded' || !job.result) {
    await deps.store.deletePending(job.jobId);
    return { kind: 'abandoned', status: job.status };
  }
  const { entry: draft } = pending;
  const entry: LeaderboardEntry = {
    ...draft,
    entryId: (deps.newEntryId ?? randomUUID)(),
    publishedAt: job.finishedAt ?? isoNow(deps.clock),
    outOfSample: { ...draft.outOfSample, stats: job.result.stats, barsSha256: outOfSampleFingerprint(job, pending.entry) },
    gap: entryGap(draft.inSample.stats, job.result.stats),
  };
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await deps.store.ownerEntry(draft.board, pending.ownerKey);
    if (current && !isBetter(entry, current)) {
      await deps.store.deletePending(job.jobId);
      return { kind: 'kept-previous', entry: current };
    }
    if (await deps.store.replaceOwnerEntry(pending.ownerKey, current?.entryId, entry)) {
      await deps.store.deletePending(job.jobId);
      await deps.onEntry?.(entry);
      return { kind: current ? 'replaced' : 'stored', entry };
    }
  }
  throw new Error(`the entry of job ${job.jobId} lost ${MAX_ATTEMPTS} races for its owner's slot on ${draft.board}`);
}

/**
 * The fingerprint of the bars the out-of-sample job ran on, as its result records it when it does; otherwise the one
 * publish computed from the same window when it submitted the job.
 */
function outOfSampleFingerprint(job: Job, draft: { outOfSample: { barsSha256: string } }): string {
  const recorded = (job.result as { provenance?: { barsSha256?: string } } | undefined)?.provenance?.barsSha256;
  return recorded ?? draft.outOfSample.barsSha256;
}
