import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../local/stack.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { DynamoDbConnectionStore } from '../../lambdas/adapters/dynamodb-connection-store.ts';
import { documentClient } from '../../lambdas/adapters/dynamodb-document-client.ts';
import { FaultRun, startFaultStack, terminalMessageFor, type FaultUser } from './support/fault-run.ts';
import { SocketClient, until } from './support/clients.ts';
import { SHORT_SWEEP, SINGLE_RUN } from './support/requests.ts';

// PostToConnection answers 410 Gone for 20 % of pushes and snapshots (FAULT_POST_GONE_RATE, seeded): the service
// takes the connection for gone and deletes it with its subscriptions, as it must for a client that went away.
//
// What "every subscriber sees the terminal state" means here:
// - a subscriber the service still holds (its connection record survived) got every change after its snapshot,
//   the terminal one included, pushed;
// - a subscriber the service dropped after a 410 is, from the service's view, a client that went away; such a client
//   reconnects and subscribes again (a real client does this when its socket dies) and then gets the terminal state
//   in the snapshot, even if further 410s make it try more than once.
// A connection watching one job gets 4-8 sends, so at 20 % about a third of them survive and the rest are dropped:
// both kinds of subscriber are there in every run (30 % would drop nearly all, leaving the first kind untested).
const GONE_RATE = 0.2;
const TABS_PER_JOB = 3;
let stack: LocalStack;
let dynamodb: DynamoDBClient;
let connections: DynamoDbConnectionStore;
let run: FaultRun;

beforeAll(async () => {
  stack = await startFaultStack('postgone', { extraEnv: { FAULT_POST_GONE_RATE: String(GONE_RATE), FAULT_SEED: '20240301' } });
  dynamodb = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  connections = new DynamoDbConnectionStore({ client: documentClient(dynamodb), table: stack.resources.tables.connections });
  run = new FaultRun('post-gone', stack);
});

afterAll(async () => {
  await run?.close();
  dynamodb?.destroy();
  await stack?.stop();
});

describe('PostToConnection failures (410 Gone)', () => {
  it('drops the connections that were gone, tells every other subscriber the end, and gives a re-subscriber the terminal snapshot', { timeout: 300_000 }, async () => {
    const users: FaultUser[] = [await run.user('free'), await run.user('basic'), await run.user('pro')];
    const plan: [FaultUser, object][] = [
      [users[0], SINGLE_RUN],
      [users[0], SHORT_SWEEP],
      [users[1], SINGLE_RUN],
      [users[1], SHORT_SWEEP],
      [users[1], { ...SINGLE_RUN, startDate: '2010-01-01' }],
      [users[2], SHORT_SWEEP],
      [users[2], SINGLE_RUN],
      [users[2], { ...SHORT_SWEEP, startDate: '1990-01-01' }],
    ];
    // Besides the user's own socket (watching all their jobs), browser tabs that each watch one job.
    const tabs: SocketClient[] = [];
    for (let i = 0; i < plan.length * TABS_PER_JOB; i++) tabs.push(await run.socket(plan[i % plan.length][0].token));
    for (const [i, [user, body]] of plan.entries()) {
      const job = await run.submit(user, body);
      for (let t = 0; t < TABS_PER_JOB; t++) run.subscribe(tabs[i + t * plan.length], job!.jobId);
    }

    // The bounds of the waits below only stop a hang on a loaded machine; none of them is the behaviour.
    await run.waitForTerminal(120_000);
    const held = async (socket: SocketClient): Promise<boolean> => (await connections.getConnection(run.connectionOf(socket))) !== undefined;
    // Settled: each subscription either has its terminal message or its connection was dropped.
    await until(async () => {
      for (const { jobId, socket } of run.subscriptions) {
        if (!socket.messages.some((m) => terminalMessageFor(m, jobId) !== undefined) && (await held(socket))) return false;
      }
      return true;
    }, 60_000, 'every subscription told or dropped');
    const dropped = new Set<SocketClient>();
    for (const { socket } of run.subscriptions) if (!(await held(socket))) dropped.add(socket);

    const summary = await run.verify({ exemptSubscriptions: (_job, socket) => dropped.has(socket) });
    expect(summary).toMatchObject({ submitted: plan.length, completed: plan.length, lost: 0, doubleCharges: 0 });

    // The dropped subscribers come back: a new connection, subscribe again, until a snapshot gets through. A snapshot
    // that meets a 410 is not sent and the service deletes the new connection: each try waits for one of those two
    // events (not for a fixed time, which a slow snapshot on a loaded machine could outlast). One connection at a time,
    // so the harness knows each one's id.
    let reconnects = 0;
    const owner = new Map(run.jobs.map((j) => [j.jobId, j.user]));
    for (const { jobId } of run.subscriptions.filter((s) => dropped.has(s.socket))) {
      const user = owner.get(jobId)!;
      const snapshotOf = (socket: SocketClient) => socket.messages.find((m) => m.type === 'snapshot' && m.job?.jobId === jobId);
      let status: string | undefined;
      for (let attempt = 1; attempt <= 10 && status === undefined; attempt++) {
        reconnects += 1;
        const fresh = await run.socket(user.token);
        fresh.send({ action: 'subscribe', jobId });
        await until(async () => snapshotOf(fresh) !== undefined || !(await held(fresh)), 30_000, `${jobId}: a snapshot, or the new connection dropped`);
        status = snapshotOf(fresh)?.job.status;
      }
      expect(status, `${jobId}: a re-subscribing client got no terminal snapshot in 10 tries`).toBe('succeeded');
    }

    const sockets = new Set(run.subscriptions.map((s) => s.socket)).size;
    console.log(`faults post-gone: ${run.subscriptions.length} subscriptions on ${sockets} connections, ${dropped.size} dropped after a 410, ${sockets - dropped.size} told every change, ${reconnects} reconnect(s) for the terminal snapshot`);
    // The fault really happened, and not to everyone.
    expect(dropped.size).toBeGreaterThanOrEqual(1);
    expect(dropped.size).toBeLessThan(sockets);

    // Nothing leaks: once every client has gone, no connection or subscription row is left behind.
    await run.close();
    const leftover = async () => (await documentClient(dynamodb).send(new ScanCommand({ TableName: stack.resources.tables.connections, ConsistentRead: true }))).Items ?? [];
    await until(async () => (await leftover()).length === 0, 30_000, 'Connections table empty after every client left');
  });
});
