import { BOARDS, findBoard, type Board } from '../board.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { ownerKey } from '../leaderboard-entry.ts';
import type { Principal } from '../principal.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import type { LeaderboardStore } from '../ports/leaderboard-store.ts';

/**
 * `DELETE /backtests/{jobId}/publish?board=`: removes the caller's entry for this job's strategy from the board (one
 * entry per user, strategy and board, so the job names it). Another user's job is 404, as everywhere.
 */
export async function unpublishEntry(
  principal: Principal,
  jobId: string,
  boardId: string | undefined,
  deps: { jobs: JobRepository; store: LeaderboardStore; boards?: readonly Board[] },
): Promise<{ board: string; removed: true }> {
  if (!boardId) throw new ValidationError([{ path: 'board', message: 'is required (the board to leave, as a query parameter ?board=)' }]);
  const board = findBoard(deps.boards ?? BOARDS, boardId);
  if (!board) throw new ValidationError([{ path: 'board', message: 'is not a board (GET /leaderboards lists them)' }]);
  const job = await deps.jobs.get(jobId);
  if (!job || job.userId !== principal.userId) throw new NotFoundError(`No job ${jobId}`);
  const removed = await deps.store.removeOwnerEntry(board.id, ownerKey(principal.userId, job.request.strategyId));
  if (!removed) throw new NotFoundError(`You have no ${job.request.strategyId} entry on board ${board.id}`);
  return { board: board.id, removed: true };
}
