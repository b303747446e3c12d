import { BOARDS, findBoard, type Board } from '../board.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { DEFAULT_RANK_METRIC, isRankMetric, RANK_METRIC_NAMES, type LeaderboardEntry, type RankMetric } from '../leaderboard-entry.ts';
import type { LeaderboardStore } from '../ports/leaderboard-store.ts';

export const LEADERBOARD_PAGE_SIZE = 20;
export const MAX_LEADERBOARD_PAGE_SIZE = 100;

export interface BoardView extends Board {
  links: { self: string };
}

/** `GET /leaderboards`: every board with its windows. */
export function listBoards(boards: readonly Board[] = BOARDS): { boards: BoardView[]; metrics: RankMetric[]; defaultMetric: RankMetric } {
  return {
    boards: boards.map((b) => ({ ...b, links: { self: `/leaderboard/${encodeURIComponent(b.id)}` } })),
    metrics: RANK_METRIC_NAMES,
    defaultMetric: DEFAULT_RANK_METRIC,
  };
}

export interface RankedEntry extends LeaderboardEntry {
  /** 1-based position on this metric (on later pages: counted from the first page the cursor chain started at). */
  rank: number;
}

export interface LeaderboardPage {
  board: Board;
  metric: RankMetric;
  items: RankedEntry[];
  nextCursor: string | null;
}

export interface RankQuery {
  metric?: string;
  cursor?: string;
  limit?: string;
}

/**
 * `GET /leaderboard/{board}`: one page of entries ranked by an out-of-sample metric, best first, from the metric's
 * index. The cursor carries the last entry's rank key and its position, so the next page starts strictly after it:
 * entries published meanwhile never repeat an entry or skip one.
 */
export async function rankBoard(boardId: string, query: RankQuery, deps: { store: LeaderboardStore; boards?: readonly Board[] }): Promise<LeaderboardPage> {
  const board = findBoard(deps.boards ?? BOARDS, boardId);
  if (!board) throw new NotFoundError(`No board ${boardId}`);
  const metric = query.metric ?? DEFAULT_RANK_METRIC;
  if (!isRankMetric(metric)) throw new ValidationError([{ path: 'metric', message: `must be one of ${RANK_METRIC_NAMES.join(', ')}` }]);
  const limit = query.limit === undefined ? LEADERBOARD_PAGE_SIZE : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LEADERBOARD_PAGE_SIZE) {
    throw new ValidationError([{ path: 'limit', message: `must be a whole number from 1 to ${MAX_LEADERBOARD_PAGE_SIZE}` }]);
  }
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, board.id, metric);
  const page = await deps.store.rank(board.id, metric, limit, after?.key);
  const offset = after?.position ?? 0;
  const items = page.entries.map((e, i) => ({ ...e, rank: offset + i + 1 }));
  const nextCursor = page.lastKey !== undefined ? encodeCursor({ board: board.id, metric, key: page.lastKey, position: offset + items.length }) : null;
  return { board, metric, items, nextCursor };
}

interface Cursor {
  board: string;
  metric: RankMetric;
  key: string;
  position: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string, board: string, metric: RankMetric): Cursor {
  const bad = (message: string) => new ValidationError([{ path: 'cursor', message }]);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad('is not a cursor this API returned');
  }
  const c = value as Partial<Cursor> | null;
  if (!c || typeof c.key !== 'string' || typeof c.position !== 'number' || !Number.isInteger(c.position) || c.position < 0) {
    throw bad('is not a cursor this API returned');
  }
  if (c.board !== board || c.metric !== metric) throw bad(`belongs to another board or metric (${String(c.board)}, ${String(c.metric)}); start again without it`);
  return c as Cursor;
}
