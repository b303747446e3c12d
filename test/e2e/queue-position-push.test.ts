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
    const started = updates.find((m) => m.status !== 'queued');
    const trace = JSON.stringify({ snapshot: [snapshot.job.queuePosition, snapshot.job.positionAt], updates: updates.map((m) => [m.status, m.queuePosition, m.positionAt, m.at]) });
    // What a refresh promises (docs/fan-out.md). It re-reads the queue on each move and posts, so:
    // - two moves close together can push the same place twice (a stress run saw 3 pushes, 2 places);
    // - refreshes are not ordered with each other or with the snapshot: the stream mapping delivers different jobs'
    //   records in parallel lanes (parallelization factor 2), and a refresh computed just before the client
    //   subscribed can arrive after the snapshot; all carry the job's same queued 'at', but each carries positionAt,
    //   when its queue was read, so a client applies a place only if its positionAt is not older than the last one
    //   applied (the web app and the CLI do; this test does the same below);
    // - a refresh whose re-read preceded the job's start can be posted after the running push; it carries the job's
    //   own queued 'at', never a later one, so a client that orders by 'at' never goes back from running to queued.
    const pushes = updates.filter((m) => m.status === 'queued' && m.queuePosition !== undefined);
    expect(pushes.length, trace).toBeGreaterThanOrEqual(1);
    expect(pushes.every((m) => Number.isInteger(m.queuePosition) && m.queuePosition >= 0 && m.queuePosition <= 4), trace).toBe(true);
    expect(updates.filter((m) => m.status === 'queued').every((m) => m.at <= started.at), trace).toBe(true);
    // The places a client applies, starting from the snapshot's: never up (nothing re-queues in this test).
    expect(snapshot.job.positionAt, trace).toEqual(expect.any(String));
    expect(pushes.every((m) => typeof m.positionAt === 'string'), trace).toBe(true);
    const applied: number[] = [snapshot.job.queuePosition];
    let appliedAt: string = snapshot.job.positionAt;
    for (const m of pushes) {
      if (m.positionAt < appliedAt) continue;
      appliedAt = m.positionAt;
      applied.push(m.queuePosition);
    }
    expect(applied, trace).toEqual([...applied].sort((a, b) => b - a));
    expect(applied.at(-1), trace).toBeLessThan(snapshot.job.queuePosition);
  }, 360_000);
});
