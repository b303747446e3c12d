import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';
import { ApiClient, SocketClient } from './support/clients.ts';
import { LONG_SWEEP, SHORT_SWEEP } from './support/requests.ts';

// Queue position over a real WebSocket on the local stack: pro concurrency is 2 (the SQS minimum), so two long jobs
// hold the tier's workers while three short ones queue behind them; the subscriber of the last one sees its place go
// down. The waits are long because a place moves only when a job ahead leaves the queue, and on a loaded machine the
// long jobs take as long as they take.
let stack: LocalStack;
let socket: SocketClient | undefined;

beforeAll(async () => {
  // Plain arrival order, so "ahead" is what the worker takes next (the fair-queue emulation reads ahead).
  process.env.LOCAL_FAIR_QUEUES = 'off';
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    emulators: emulatorEndpoints(),
    prefix: freshPrefix('qpos'),
    concurrency: { pro: 2 },
    workerThreads: { free: 1, basic: 1, pro: 1 },
    extraEnv: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'ERROR' },
    log: errorsOnlyLogger,
  });
});

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
});

async function apiFor(label: string): Promise<{ api: ApiClient; token: string }> {
  const token = await stack.token({ userId: `${label}-${randomBytes(3).toString('hex')}`, tier: 'pro' });
  return { api: new ApiClient(stack.httpUrl, token), token };
}

describe('queue position pushed while queued', () => {
  it('the subscriber of the last queued job gets a snapshot with its place, then pushes as it moves up, then running', async () => {
    // All five go in back to back, the two long ones first, and the last one is watched at once: its place is taken
    // while at least the holders and the short jobs before it are ahead, however fast or slow this machine runs them.
    const queuedIds: string[] = [];
    let last: { api: ApiClient; token: string } | undefined;
    for (const [label, body] of [['h1', LONG_SWEEP], ['h2', LONG_SWEEP], ['b', SHORT_SWEEP], ['c', SHORT_SWEEP], ['d', SHORT_SWEEP]] as const) {
      last = await apiFor(label);
      const res = await last.api.submit(body);
      expect(res.status).toBe(202);
      queuedIds.push(res.body.jobId);
    }
    const jobId = queuedIds[4];
    socket = await SocketClient.open(stack.wsUrl, last!.token);
    socket.send({ action: 'subscribe', jobId });

    const snapshot = await socket.waitFor((m) => m.type === 'snapshot');
    expect(snapshot.job).toMatchObject({ jobId, status: 'queued', etaSeconds: expect.any(Number) });
    // The long jobs take seconds and d is fifth in line behind two slots, so someone is ahead of it.
    expect(snapshot.job.queuePosition, JSON.stringify(snapshot.job)).toBeGreaterThanOrEqual(1);

    const moved = await socket.waitFor((m) => m.type === 'progress' && m.jobId === jobId && m.status === 'queued' && m.queuePosition < snapshot.job.queuePosition, 150_000);
    expect(moved).toMatchObject({ progress: 0, etaSeconds: expect.any(Number), at: expect.any(String), message: expect.any(String) });
    await socket.waitFor((m) => m.type === 'progress' && m.jobId === jobId && m.status === 'succeeded', 150_000);

    const updates = socket.messages.filter((m) => m.type === 'progress' && m.jobId === jobId);
    const firstStarted = updates.findIndex((m) => m.status !== 'queued');
    const queuedPushes = updates.slice(0, firstStarted);
    // Every queued push came before the job started, and its place only went down. Not necessarily a new place each
    // time: each job leaving the queue triggers a refresh that re-reads the queue, so two jobs starting together give
    // two refreshes that can both read the same place (a stress run saw 3 pushes, 2 places).
    expect(updates.slice(firstStarted).every((m) => m.status !== 'queued')).toBe(true);
    const places = queuedPushes.map((m) => m.queuePosition).filter((p) => p !== undefined);
    expect(places.length).toBeGreaterThanOrEqual(1);
    expect(places, JSON.stringify(places)).toEqual([...places].sort((a, b) => b - a));
    expect(places.every((p) => p < snapshot.job.queuePosition), JSON.stringify({ places, snapshot: snapshot.job.queuePosition })).toBe(true);
  }, 360_000);
});
