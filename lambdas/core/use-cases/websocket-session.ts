import * as z from '../../../engine/zod-mini.ts';
import { isTerminal } from '../job.ts';
import type { Principal } from '../principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClientPush } from '../ports/client-push.ts';
import type { ConnectionStore } from '../ports/connection-store.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import type { Tier, TierSettings } from '../tiers.ts';
import { handleBoardWatch } from './board-watch.ts';
import { queueEstimate } from './eta.ts';
import { compactJob } from './job-view.ts';

export interface WebSocketDeps {
  connections: ConnectionStore;
  jobs: JobRepository;
  push: ClientPush;
  clock: Clock;
  /** The deployed tier table, for the snapshot's queue ETA (worker slots per tier). @default TIER_SETTINGS */
  tiers?: Readonly<Record<Tier, TierSettings>>;
}

/** Largest client message read; subscribe and unsubscribe need well under 1 KB. */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;
/**
 * Open connections per user. A person has a few tabs, each reconnecting after a drop, and a CLI or two watching jobs;
 * far more is a script gone wrong, and every connection multiplies the notifier's posts for the jobs it watches.
 * With MAX_SUBSCRIPTIONS_PER_CONNECTION this bounds one user's subscriptions at 1,000.
 */
export const MAX_CONNECTIONS_PER_USER = 20;
/** Jobs one connection may watch at once (a page shows at most a screenful of running jobs). */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;

/** The caller of a WebSocket route: the token's principal and its `exp` (epoch seconds), from the authorizer. */
export interface WsPrincipal extends Principal {
  tokenExpiresAt?: number;
}

const clientMessageSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('subscribe'), jobId: z.string().check(z.minLength(1)).check(z.maxLength(128)) }),
  z.object({ action: z.literal('unsubscribe'), jobId: z.string().check(z.minLength(1)).check(z.maxLength(128)) }),
]);

export type ErrorMessage =
  | { type: 'error'; code: 'not_found'; jobId: string }
  | { type: 'error'; code: 'bad_request'; message: string }
  | { type: 'error'; code: 'too_many_subscriptions'; jobId: string; message: string }
  | { type: 'error'; code: 'token_expired'; message: string };

/** The frame a connection gets before it is closed because its token expired. */
export function tokenExpiredMessage(expiredAt: number): ErrorMessage {
  return {
    type: 'error',
    code: 'token_expired',
    message: `Your sign-in expired at ${new Date(expiredAt * 1000).toISOString()}; reconnect with a new token`,
  };
}

export type ConnectOutcome = { kind: 'connected' } | { kind: 'too_many_connections' | 'token_expired'; message: string };

/**
 * Records the connection with its token's expiry, then counts the user's connections: over the cap, the new one is
 * removed again and refused. Counting after the write means two connections racing for the last slot both see
 * each other, so the cap is never exceeded (at worst both are refused and the client retries).
 */
export async function connect(
  principal: WsPrincipal,
  connectionId: string,
  deps: Pick<WebSocketDeps, 'connections' | 'clock'>,
  maxConnections = MAX_CONNECTIONS_PER_USER,
): Promise<ConnectOutcome> {
  const now = deps.clock.now();
  if (principal.tokenExpiresAt !== undefined && principal.tokenExpiresAt * 1000 <= now) {
    return { kind: 'token_expired', message: 'The token has expired' };
  }
  await deps.connections.putConnection(connectionId, principal.userId, now, principal.tokenExpiresAt);
  const open = await deps.connections.countConnections(principal.userId, now);
  if (open > maxConnections) {
    await deps.connections.deleteConnection(connectionId);
    return {
      kind: 'too_many_connections',
      message: `Too many open connections: at most ${maxConnections} per user; close one (each can watch up to ${MAX_SUBSCRIPTIONS_PER_CONNECTION} jobs)`,
    };
  }
  return { kind: 'connected' };
}

export async function disconnect(connectionId: string, deps: Pick<WebSocketDeps, 'connections'>): Promise<void> {
  await deps.connections.deleteConnection(connectionId);
}

/**
 * Handles one client frame. Replies go out through ClientPush: a snapshot after subscribe, or an error message.
 * Nothing here throws for bad client input: the client always gets an answer it can read.
 */
export async function handleClientMessage(
  principal: WsPrincipal,
  connectionId: string,
  raw: string | undefined,
  deps: WebSocketDeps,
  maxSubscriptions = MAX_SUBSCRIPTIONS_PER_CONNECTION,
): Promise<void> {
  const reply = async (message: unknown): Promise<void> => {
    if ((await deps.push.send(connectionId, message)) === 'gone') await deps.connections.deleteConnection(connectionId);
  };
  // A connection outlives its token (API Gateway keeps it up to 2 h): after `exp` it may do nothing more.
  if (principal.tokenExpiresAt !== undefined && principal.tokenExpiresAt * 1000 <= deps.clock.now()) {
    await closeExpired(connectionId, principal.tokenExpiresAt, deps);
    return;
  }
  const badRequest = (message: string) => reply({ type: 'error', code: 'bad_request', message } satisfies ErrorMessage);

  if (raw === undefined || raw.length === 0) return badRequest('Send JSON such as {"action":"subscribe","jobId":"..."}');
  if (Buffer.byteLength(raw, 'utf8') > MAX_CLIENT_MESSAGE_BYTES) return badRequest(`Messages are limited to ${MAX_CLIENT_MESSAGE_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return badRequest('The message is not valid JSON');
  }
  const action = typeof body === 'object' && body !== null ? (body as { action?: unknown }).action : undefined;
  // Leaderboard watchers (docs/leaderboard.md): board-watch.ts.
  if (action === 'watchBoard' || action === 'unwatchBoard') return handleBoardWatch(principal, connectionId, body, deps, reply, maxSubscriptions);
  if (action !== 'subscribe' && action !== 'unsubscribe') {
    return badRequest(`Unknown action ${JSON.stringify(action ?? null)?.slice(0, 64)}; use "subscribe" or "unsubscribe" with a jobId (or "watchBoard" with a board)`);
  }
  const parsed = clientMessageSchema.safeParse(body);
  if (!parsed.success) return badRequest(`${action} needs a jobId string of 1-128 characters`);
  const { jobId } = parsed.data;

  if (parsed.data.action === 'unsubscribe') {
    await deps.connections.unsubscribe(connectionId, jobId);
    return;
  }

  const job = await deps.jobs.get(jobId);
  if (!job || (job.userId !== principal.userId && !principal.admin)) {
    return reply({ type: 'error', code: 'not_found', jobId } satisfies ErrorMessage);
  }
  // A finished job will not change again: the snapshot is all there is to say.
  if (isTerminal(job.status)) return reply({ type: 'snapshot', job: compactJob(job) });
  const watching = await deps.connections.subscriptionsOf(connectionId);
  if (watching.length >= maxSubscriptions && !watching.includes(jobId)) {
    return reply({
      type: 'error',
      code: 'too_many_subscriptions',
      jobId,
      message: `This connection already watches ${watching.length} jobs (the most one may); unsubscribe from a finished one first`,
    } satisfies ErrorMessage);
  }
  // Subscribe first, then read: a change landing in between reaches the client as progress or in the snapshot.
  await deps.connections.subscribe(connectionId, jobId, deps.clock.now(), principal.tokenExpiresAt);
  const fresh = (await deps.jobs.get(jobId)) ?? job;
  // Queued: its place in the tier's queue and the wait, as GET /backtests/{id} has them (the notifier pushes the new
  // place when the queue moves); running: the time left.
  // positionAt: when the place was computed, so a client can drop a queue refresh read before it (notify-progress.ts).
  const estimatedAt = deps.clock.now();
  const estimate = await queueEstimate(fresh, deps.jobs, estimatedAt, deps.tiers);
  const positionAt = estimate.queuePosition !== undefined ? { positionAt: new Date(estimatedAt).toISOString() } : {};
  await reply({ type: 'snapshot', job: { ...compactJob(fresh), ...estimate, ...positionAt } });
}

/** Tells the client why, deletes the connection's records (so nothing more is pushed) and closes the socket. */
export async function closeExpired(connectionId: string, expiredAt: number, deps: Pick<WebSocketDeps, 'connections' | 'push'>): Promise<void> {
  await deps.push.send(connectionId, tokenExpiredMessage(expiredAt));
  await deps.connections.deleteConnection(connectionId);
  await deps.push.close?.(connectionId);
}
