import * as z from '../../../engine/zod-mini.ts';
import { BOARDS, findBoard, type Board } from '../board.ts';
import type { LeaderboardEntry } from '../leaderboard-entry.ts';
import type { ClientPush } from '../ports/client-push.ts';
import type { ConnectionStore } from '../ports/connection-store.ts';
import { closeExpired, type WsPrincipal } from './websocket-session.ts';

/**
 * Board watchers are subscriptions like a job's, under a topic no job id can take (job ids are UUIDs and never hold
 * `:`), so the connection store, its per-connection cap, its expiry and its clean-up on disconnect apply unchanged.
 */
export const boardTopic = (board: string): string => `leaderboard:${board}`;

const watchSchema = z.object({ action: z.enum(['watchBoard', 'unwatchBoard']), board: z.string().check(z.minLength(1)).check(z.maxLength(64)) });

/** What a watcher receives when an entry lands on the board. */
export interface LeaderboardMessage {
  type: 'leaderboard';
  board: string;
  entry: LeaderboardEntry;
}

/**
 * `{"action":"watchBoard","board"}`: from now on the connection receives `{"type":"leaderboard","board","entry"}` for
 * every entry published on the board, and gets `{"type":"watching","board"}` at once. Boards are public: any signed-in
 * user may watch one. `unwatchBoard` stops it.
 */
export async function handleBoardWatch(
  principal: WsPrincipal,
  connectionId: string,
  body: unknown,
  deps: { connections: ConnectionStore; clock: { now(): number } },
  reply: (message: unknown) => Promise<void>,
  maxSubscriptions: number,
  boards: readonly Board[] = BOARDS,
): Promise<void> {
  const parsed = watchSchema.safeParse(body);
  if (!parsed.success) return reply({ type: 'error', code: 'bad_request', message: 'watchBoard and unwatchBoard need a board id (GET /leaderboards lists them)' });
  const { action, board } = parsed.data;
  const topic = boardTopic(board);
  if (action === 'unwatchBoard') {
    await deps.connections.unsubscribe(connectionId, topic);
    return;
  }
  if (!findBoard(boards, board)) return reply({ type: 'error', code: 'not_found', board, message: `No board ${board}` });
  const watching = await deps.connections.subscriptionsOf(connectionId);
  if (watching.length >= maxSubscriptions && !watching.includes(topic)) {
    return reply({ type: 'error', code: 'too_many_subscriptions', board, message: `This connection already watches ${watching.length} jobs and boards (the most one may)` });
  }
  await deps.connections.subscribe(connectionId, topic, deps.clock.now(), principal.tokenExpiresAt);
  await reply({ type: 'watching', board });
}

/**
 * Sends an entry that just landed to every connection watching its board. As for job progress, a gone connection is
 * deleted, and one whose token expired is told so and closed instead of receiving the entry.
 */
export async function pushEntryToWatchers(entry: LeaderboardEntry, deps: { connections: ConnectionStore; push: ClientPush; clock: { now(): number } }): Promise<number> {
  const message: LeaderboardMessage = { type: 'leaderboard', board: entry.board, entry };
  const nowSec = Math.floor(deps.clock.now() / 1000);
  let sent = 0;
  for (const { connectionId, tokenExpiresAt } of await deps.connections.subscriberDetails(boardTopic(entry.board))) {
    if (tokenExpiresAt !== undefined && tokenExpiresAt <= nowSec) await closeExpired(connectionId, tokenExpiresAt, deps);
    else if ((await deps.push.send(connectionId, message)) === 'gone') await deps.connections.deleteConnection(connectionId);
    else sent += 1;
  }
  return sent;
}
