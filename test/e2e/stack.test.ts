import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { DynamoDbConnectionStore } from '../../lambdas/adapters/dynamodb-connection-store.ts';
import { documentClient } from '../../lambdas/adapters/dynamodb-document-client.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';
import { ApiClient, SocketClient, until } from './support/clients.ts';
import { terminalMessageFor } from './support/fault-run.ts';
import { LONG_SWEEP, SHORT_SWEEP } from './support/requests.ts';
import { TIER_SETTINGS } from '../../lambdas/core/tiers.ts';
import { stackFileOf, writeStackFile } from '../../local/stack-file.ts';
import { LocalTierLookupError, resolveTokenTier } from '../../local/token-tier.ts';

// The whole service through its public interfaces: real HTTP and WebSocket against startLocalStack on fresh ports,
// the production handlers, DynamoDB Local and fauxqs. Pro concurrency is 2 here so a third pro job stays queued.
let stack: LocalStack;
let connections: DynamoDbConnectionStore;
let dynamodb: DynamoDBClient;
const sockets: SocketClient[] = [];

const user = (label: string): string => `${label}-${randomBytes(3).toString('hex')}`;
async function clientFor(userId: string, tier: 'free' | 'basic' | 'pro', admin = false): Promise<{ api: ApiClient; token: string }> {
  const token = await stack.token({ userId, tier, admin });
  return { api: new ApiClient(stack.httpUrl, token), token };
}
async function socketFor(token: string): Promise<SocketClient> {
  const socket = await SocketClient.open(stack.wsUrl, token);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  // Plain arrival order: the fair-queue emulation (docs/fan-out.md) reads messages ahead, and GET /admin/queues would
  // then count the third pro job's held message as in flight, not waiting, which the admin-view test checks.
  process.env.LOCAL_FAIR_QUEUES = 'off';
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    emulators: emulatorEndpoints(),
    prefix: freshPrefix('e2e'),
    concurrency: { pro: 2 },
    workerThreads: { free: 1, basic: 1, pro: 1 },
    extraEnv: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'ERROR' },
    log: errorsOnlyLogger,
  });
  dynamodb = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  connections = new DynamoDbConnectionStore({ client: documentClient(dynamodb), table: stack.resources.tables.connections });
});

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  dynamodb?.destroy();
  await stack?.stop();
});

describe('a job from submit to result', () => {
  // The sweep alone took 27 s of the default 30 in a loaded full run: the timeouts here only bound a hang.
  it('streams a snapshot, non-decreasing progress and the terminal status, and is readable over HTTP', { timeout: 180_000 }, async () => {
    const { api, token } = await clientFor(user('ann'), 'pro');
    const socket = await socketFor(token);

    const submitted = await api.submit(LONG_SWEEP);
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({ status: 'queued', tier: 'pro' });
    const jobId: string = submitted.body.jobId;
    socket.send({ action: 'subscribe', jobId });

    const snapshot = await socket.waitFor((m) => m.type === 'snapshot');
    expect(snapshot.job.jobId).toBe(jobId);
    const last = await socket.waitFor((m) => m.type === 'progress' && m.status === 'succeeded', 120_000);

    const updates = socket.messages.filter((m) => m.type === 'progress' && m.jobId === jobId);
    // No assertion that the snapshot comes first: subscribe stores the subscription before reading the job, so a
    // stream push can overtake the snapshot (as on AWS); what must hold is that progress never goes back.
    expect(updates.filter((m) => m.status === 'running').length).toBeGreaterThanOrEqual(2);
    const values = updates.map((m) => m.progress as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(last.progress).toBe(1);
    expect(JSON.stringify(last).length).toBeLessThan(128 * 1024);

    const job = (await api.get(jobId)).body;
    expect(job).toMatchObject({ jobId, status: 'succeeded', progress: 1, tier: 'pro', attempts: 1 });
    expect(job.result.stats).toEqual(expect.objectContaining({ returnPct: expect.any(Number), sharpe: expect.anything(), trades: expect.any(Number) }));
    // 80 fast x 50 slow values, ranked by the default metric; the result is the best combination.
    expect(job.result.sweep).toMatchObject({ metric: 'sharpe', combinations: 4000 });
    expect(job.result.sweep.top).toHaveLength(10);
    expect(job.result.params).toEqual(job.result.sweep.top[0].params);

    const second = await api.submit(SHORT_SWEEP);
    const list = await api.call('GET', '/backtests');
    expect(list.status).toBe(200);
    expect(list.body.items.map((j: { jobId: string }) => j.jobId)).toEqual([second.body.jobId, jobId]);
    const page = await api.call('GET', '/backtests?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    await api.waitFor(second.body.jobId, (j) => j.status === 'succeeded', 60_000);
  });
});

describe('authentication and ownership', () => {
  it('answers 401 without a token or with a forged one, over HTTP and on the WebSocket upgrade', async () => {
    const anonymous = new ApiClient(stack.httpUrl, undefined);
    const forged = new ApiClient(stack.httpUrl, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    expect((await anonymous.submit(SHORT_SWEEP)).status).toBe(401);
    expect((await forged.call('GET', '/backtests')).status).toBe(401);
    await expect(SocketClient.open(stack.wsUrl, undefined)).rejects.toThrow('status 401');
    await expect(SocketClient.open(stack.wsUrl, 'not-a-token')).rejects.toThrow('status 401');
  });

  it("hides another user's job: 404 over HTTP, not_found over the WebSocket", { timeout: 120_000 }, async () => {
    const owner = await clientFor(user('own'), 'basic');
    const other = await clientFor(user('oth'), 'basic');
    const jobId = (await owner.api.submit(SHORT_SWEEP)).body.jobId;

    expect((await other.api.get(jobId)).status).toBe(404);
    expect((await other.api.call('DELETE', `/backtests/${jobId}`)).status).toBe(404);
    const socket = await socketFor(other.token);
    socket.send({ action: 'subscribe', jobId });
    expect(await socket.waitFor((m) => m.type === 'error')).toEqual({ type: 'error', code: 'not_found', jobId });
    await owner.api.waitFor(jobId, (j) => j.status === 'succeeded', 60_000);
    expect(socket.messages.filter((m) => m.jobId === jobId && m.type !== 'error')).toEqual([]);
  });
});

describe('admin user routes', () => {
  it('let an admin read and change a user, and nobody else', async () => {
    const userId = user('usr');
    const target = await clientFor(userId, 'basic');
    const admin = await clientFor(user('adm'), 'free', true);
    await target.api.submit(SHORT_SWEEP);
    const path = `/admin/users/${encodeURIComponent(userId)}`;

    const before = await admin.api.call('GET', path);
    expect(before.status).toBe(200);
    const granted = await admin.api.call('POST', `${path}/credits`, { amount: 5 });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ userId, amount: 5, credits: TIER_SETTINGS.basic.initialCredits - TIER_SETTINGS.basic.creditsPerJob + 5 });
    expect((await admin.api.call('PUT', `${path}/tier`, { tier: 'pro' })).status).toBe(200);
    expect((await target.api.call('GET', path)).status).toBe(403);
    expect((await target.api.call('POST', `${path}/credits`, { amount: 5 })).status).toBe(403);
  });
});

describe('npm run token without --tier', () => {
  // The CLI as a user runs it (a separate process), finding this stack through a stack file as it finds `npm start`'s.
  const dir = mkdtempSync(join(tmpdir(), 'token-cli-'));
  const stackFile = join(dir, 'stack.json');
  const tokenCli = async (...args: string[]): Promise<{ tier: unknown; token: string }> => {
    const { stdout } = await promisify(execFile)(process.execPath, ['local/token-cli.ts', ...args], {
      env: { ...process.env, LOCAL_STACK_FILE: stackFile },
      encoding: 'utf8',
    });
    const token = stdout.trim();
    return { tier: JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).tier, token };
  };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('carries the tier an admin stored for the user; --tier still wins; free when none is stored or no stack runs', { timeout: 120_000 }, async () => {
    const promoted = user('tok');
    const admin = await clientFor(user('adm'), 'free', true);
    expect((await admin.api.call('PUT', `/admin/users/${promoted}/tier`, { tier: 'pro' })).status).toBe(200);

    expect((await tokenCli('--user', promoted)).tier).toBe('free');
    writeStackFile(stackFileOf(stack), stackFile);
    const fromStack = await tokenCli('--user', promoted);
    const flagged = await tokenCli('--user', promoted, '--tier', 'basic');
    const unknown = await tokenCli('--user', user('new'));

    expect(fromStack.tier).toBe('pro');
    expect(flagged.tier).toBe('basic');
    expect(unknown.tier).toBe('free');
    // The stack accepts the token and routes by its tier (the job finishes here: the pro slots are counted below).
    const api = new ApiClient(stack.httpUrl, fromStack.token);
    const submitted = await api.submit(SHORT_SWEEP);
    expect(submitted.body).toMatchObject({ status: 'queued', tier: 'pro' });
    await api.waitFor(submitted.body.jobId, (j) => j.status === 'succeeded', 60_000);
  });

  it('refuses to guess when the stack in the stack file does not answer', async () => {
    const silent = { ...stackFileOf(stack), dynamodbEndpoint: 'http://127.0.0.1:9' };

    await expect(resolveTokenTier({ userId: 'anyone', stack: silent, timeoutMs: 500 })).rejects.toThrow(LocalTierLookupError);
    await expect(resolveTokenTier({ userId: 'anyone', tier: 'gold', stack: silent })).rejects.toThrow(/--tier must be free, basic or pro/);
  });
});

describe('tiers, the admin view and cancellation', () => {
  it('keeps a third pro job queued behind two running ones, shows it in GET /admin/queues, and cancels queued and running jobs', { timeout: 180_000 }, async () => {
    const pro = await clientFor(user('pro'), 'pro');
    const admin = await clientFor(user('adm'), 'free', true);
    const first = (await pro.api.submit(LONG_SWEEP)).body.jobId;
    const second = (await pro.api.submit(LONG_SWEEP)).body.jobId;
    await pro.api.waitFor(first, (j) => j.status === 'running', 60_000);
    await pro.api.waitFor(second, (j) => j.status === 'running', 60_000);
    const third = await pro.api.submit(LONG_SWEEP);
    expect(third.body.tier).toBe('pro');

    const view = await admin.api.call('GET', '/admin/queues');
    expect(view.status).toBe(200);
    const byTier = Object.fromEntries(view.body.tiers.map((t: { tier: string }) => [t.tier, t]));
    // The concurrency the pollers run with (pro lowered to 2 by this stack), not the tier table's.
    expect(byTier.pro).toMatchObject({ inFlight: 2, waiting: 1, maxConcurrency: 2 });
    expect(byTier.free.maxConcurrency).toBe(TIER_SETTINGS.free.maxConcurrency);
    expect(byTier.pro.oldestQueuedAgeSeconds).toEqual(expect.any(Number));
    expect(byTier.free).toMatchObject({ inFlight: 0, waiting: 0 });
    expect(byTier.basic).toMatchObject({ inFlight: 0, waiting: 0 });
    expect((await pro.api.call('GET', '/admin/queues')).status).toBe(403);

    const cancelQueued = await pro.api.call('DELETE', `/backtests/${third.body.jobId}`);
    expect(cancelQueued.status).toBe(202);
    expect((await pro.api.get(third.body.jobId)).body).toMatchObject({ status: 'cancelled' });

    expect((await pro.api.call('DELETE', `/backtests/${first}`)).status).toBe(202);
    expect((await pro.api.call('DELETE', `/backtests/${second}`)).status).toBe(202);
    const cancelled = await pro.api.waitFor(first, (j) => j.status !== 'running' && j.status !== 'queued', 60_000);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    await pro.api.waitFor(second, (j) => j.status === 'cancelled', 60_000);
    // A finished job cannot be cancelled again.
    expect((await pro.api.call('DELETE', `/backtests/${first}`)).status).toBe(409);
    // The cancelled queued job is never picked up: its message is consumed without running it.
    await until(async () => {
      const again = await admin.api.call('GET', '/admin/queues');
      const p = again.body.tiers.find((t: { tier: string }) => t.tier === 'pro');
      return p.waiting === 0 && p.inFlight === 0;
    }, 60_000, 'pro queue drained');
    expect((await pro.api.get(third.body.jobId)).body.status).toBe('cancelled');
  });
});

describe('WebSocket connection lifecycle', () => {
  const STALE_ID = 'Stale0Conn1d=';

  it('removes a connection on close, and one that vanished without $disconnect after PostToConnection answers 410', { timeout: 120_000 }, async () => {
    const wsUser = user('ws');
    const { api, token } = await clientFor(wsUser, 'basic');
    const live = await socketFor(token);
    const liveId = stack.connectionIds().at(-1)!;
    expect(await connections.getConnection(liveId)).toMatchObject({ userId: wsUser });

    // The short job can finish within the few writes below. With the stream mapping held, every change of the job is
    // delivered after both subscriptions exist, so the notifier's push to the stale connection (the 410) is certain.
    stack.testHooks.pauseStreamPoller();
    let jobId: string;
    try {
      jobId = (await api.submit(SHORT_SWEEP)).body.jobId;
      // A connection whose socket is gone but whose $disconnect never ran (e.g. the function failed): only the 410 tells.
      await connections.putConnection(STALE_ID, 'ws-user', Date.now());
      await connections.subscribe(STALE_ID, jobId, Date.now());
      live.send({ action: 'subscribe', jobId });
      await live.waitFor((m) => m.type === 'snapshot' && m.job?.jobId === jobId, 30_000);
    } finally {
      stack.testHooks.resumeStreamPoller();
    }
    // The end reaches the live connection as a push, or in its snapshot if the job had already finished.
    await live.waitFor((m) => terminalMessageFor(m, jobId) === 'succeeded', 60_000);

    await until(async () => (await connections.getConnection(STALE_ID)) === undefined, 30_000, 'stale connection deleted');
    expect(await connections.subscribers(jobId)).not.toContain(STALE_ID);

    await live.close();
    await until(async () => (await connections.getConnection(liveId)) === undefined, 30_000, 'closed connection deleted');
  });
});
