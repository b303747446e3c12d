import { z } from 'zod';
import { isTerminal } from '../job.ts';
import type { Principal } from '../principal.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClientPush } from '../ports/client-push.ts';
import type { ConnectionStore } from '../ports/connection-store.ts';
import type { JobRepository } from '../ports/job-repository.ts';
import { compactJob } from './job-view.ts';

export interface WebSocketDeps {
  connections: ConnectionStore;
  jobs: JobRepository;
  push: ClientPush;
  clock: Clock;
}

/** Largest client message read; subscribe and unsubscribe need well under 1 KB. */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;

const clientMessageSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('subscribe'), jobId: z.string().min(1).max(128) }),
  z.object({ action: z.literal('unsubscribe'), jobId: z.string().min(1).max(128) }),
]);

export type ErrorMessage =
  | { type: 'error'; code: 'not_found'; jobId: string }
  | { type: 'error'; code: 'bad_request'; message: string };

export async function connect(principal: Principal, connectionId: string, deps: Pick<WebSocketDeps, 'connections' | 'clock'>): Promise<void> {
  await deps.connections.putConnection(connectionId, principal.userId, deps.clock.now());
}

export async function disconnect(connectionId: string, deps: Pick<WebSocketDeps, 'connections'>): Promise<void> {
  await deps.connections.deleteConnection(connectionId);
}

/**
 * Handles one client frame. Replies go out through ClientPush: a snapshot after subscribe, or an error message.
 * Nothing here throws for bad client input: the client always gets an answer it can read.
 */
export async function handleClientMessage(principal: Principal, connectionId: string, raw: string | undefined, deps: WebSocketDeps): Promise<void> {
  const reply = async (message: unknown): Promise<void> => {
    if ((await deps.push.send(connectionId, message)) === 'gone') await deps.connections.deleteConnection(connectionId);
  };
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
  if (action !== 'subscribe' && action !== 'unsubscribe') {
    return badRequest(`Unknown action ${JSON.stringify(action ?? null)?.slice(0, 64)}; use "subscribe" or "unsubscribe" with a jobId`);
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
  // Subscribe first, then read: a change landing in between reaches the client as progress or in the snapshot.
  await deps.connections.subscribe(connectionId, jobId, deps.clock.now());
  const fresh = (await deps.jobs.get(jobId)) ?? job;
  await reply({ type: 'snapshot', job: compactJob(fresh) });
}
