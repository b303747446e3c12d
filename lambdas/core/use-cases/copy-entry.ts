import * as z from '../../../engine/zod-mini.ts';
import { BOARDS, findBoard, type Board } from '../board.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { LeaderboardStore } from '../ports/leaderboard-store.ts';
import { fieldIssues } from './field-issues.ts';
import { submitBacktest, type SubmitDeps, type SubmitResponse } from './submit-backtest.ts';

const isoDate = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'));

/** What a copy may change: where it runs. The strategy, parameters and costs are the entry's. */
export const copyBodySchema = z.strictObject({ symbol: z.optional(z.string()), startDate: z.optional(isoDate), endDate: z.optional(isoDate) });

/**
 * `POST /leaderboard/{board}/entries/{entryId}/copy`: submits the entry's strategy, parameters and costs as the
 * caller's own job, on the board's out-of-sample window unless the body says otherwise. It goes through the ordinary
 * submit, so it is validated, charged, rate-limited and idempotent exactly like any other.
 */
export async function copyEntry(
  principal: Principal,
  boardId: string,
  entryId: string,
  body: unknown,
  idempotencyKey: string | undefined,
  deps: { store: LeaderboardStore; submit: SubmitDeps; boards?: readonly Board[] },
): Promise<SubmitResponse> {
  const parsed = copyBodySchema.safeParse(body ?? {});
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  const board = findBoard(deps.boards ?? BOARDS, boardId);
  if (!board) throw new NotFoundError(`No board ${boardId}`);
  const entry = await deps.store.getEntry(board.id, entryId);
  if (!entry) throw new NotFoundError(`No entry ${entryId} on board ${board.id}`);
  const request = {
    strategyId: entry.strategyId,
    params: entry.params,
    symbol: parsed.data.symbol ?? board.symbol,
    timeframe: board.timeframe,
    startDate: parsed.data.startDate ?? board.outOfSample.startDate,
    endDate: parsed.data.endDate ?? board.outOfSample.endDate,
    ...entry.costs,
  };
  return submitBacktest(principal, request, idempotencyKey, deps.submit);
}
