import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../local/stack.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { documentClient } from '../../lambdas/adapters/dynamodb-document-client.ts';
import { MAX_CLIENT_MESSAGE_BYTES } from '../../lambdas/core/use-cases/websocket-session.ts';
import { anyJson, hostileString, notJson } from '../support/hostile-input.ts';
import { startFaultStack } from './support/fault-run.ts';
import { ApiClient, SocketClient, until } from './support/clients.ts';
import { SINGLE_RUN } from './support/requests.ts';

// Hostile frames over a real WebSocket to the local API and the production handlers: every frame gets exactly one
// error message back (`bad_request`, or `not_found` for a job that is not the caller's), the connection stays
// usable, and nothing is stored: no subscription for alice's connection, none on bob's job. A frame over API
// Gateway's 128 KB cap closes the connection cleanly (1009) and `$disconnect` removes it.
const RUNS = 100;
let stack: LocalStack;
let dynamodb: DynamoDBClient;
let aliceToken: string;
let aliceJob: string;
let bobJob: string;

beforeAll(async () => {
  stack = await startFaultStack('hostilews', { extraEnv: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'CRITICAL' } });
  dynamodb = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  aliceToken = await stack.token({ userId: 'alice-ws', tier: 'pro' });
  const alice = new ApiClient(stack.httpUrl, aliceToken);
  const bob = new ApiClient(stack.httpUrl, await stack.token({ userId: 'bob-ws', tier: 'pro' }));
  aliceJob = (await alice.submit(SINGLE_RUN)).body.jobId;
  bobJob = (await bob.submit(SINGLE_RUN)).body.jobId;
  // Finished, so subscribing to her own job (the probe below) answers with a snapshot and stores nothing.
  await alice.waitFor(aliceJob, (j) => j.status === 'succeeded');
});

afterAll(async () => {
  dynamodb?.destroy();
  await stack?.stop();
});

async function open(): Promise<{ socket: SocketClient; connectionId: string }> {
  const known = new Set(stack.connectionIds());
  const socket = await SocketClient.open(stack.wsUrl, aliceToken);
  const connectionId = stack.connectionIds().find((id) => !known.has(id))!;
  return { socket, connectionId };
}

/** The Connections table rows under a key: a connection's own (META plus its subscriptions) or a job's subscribers. */
async function rows(pk: string): Promise<string[]> {
  const out = await documentClient(dynamodb).send(new QueryCommand({ TableName: stack.resources.tables.connections, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }));
  return (out.Items ?? []).map((i) => String(i.sk));
}

function isValidUnsubscribe(raw: string): boolean {
  try {
    const m = JSON.parse(raw) as { action?: unknown; jobId?: unknown };
    return m?.action === 'unsubscribe' && typeof m.jobId === 'string' && m.jobId.length >= 1 && m.jobId.length <= 128;
  } catch {
    return false;
  }
}

/** Frames under the 128 KB cap that are not a well-formed unsubscribe (which is answered by silence, by design). */
const frames: fc.Arbitrary<{ data: string; binary: boolean }> = fc
  .record({
    data: fc.oneof(
      notJson,
      anyJson.map((v) => JSON.stringify(v)),
      fc.record({ action: anyJson, jobId: anyJson }).map((m) => JSON.stringify(m)),
      fc.record({ action: fc.constantFrom('subscribe', 'unsubscribe', 'SUBSCRIBE', 'sendmessage', '$default', '$connect', ''), jobId: anyJson }).map((m) => JSON.stringify(m)),
      // Well-formed subscribes to jobs alice does not own: bob's, made-up ones, odd unicode.
      fc.oneof(fc.uuid(), fc.constant('bob'), fc.string({ minLength: 1, maxLength: 128 }), fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 40 })).map((jobId) => JSON.stringify({ action: 'subscribe', jobId: jobId === 'bob' ? bobJob : jobId })),
      fc.integer({ min: MAX_CLIENT_MESSAGE_BYTES, max: 120_000 }).map((n) => JSON.stringify({ action: 'subscribe', jobId: bobJob, pad: 'x'.repeat(n) })),
      hostileString.filter((s) => Buffer.byteLength(s) < 120_000),
    ),
    binary: fc.boolean(),
  })
  .filter(({ data }) => !isValidUnsubscribe(data) && data !== JSON.stringify({ action: 'subscribe', jobId: aliceJob }));

describe('hostile WebSocket frames over the wire', () => {
  it('answer each frame with one error message, keep the connection usable and store nothing', { timeout: 240_000 }, async () => {
    const { socket, connectionId } = await open();
    const probe = JSON.stringify({ action: 'subscribe', jobId: aliceJob });
    try {
      await fc.assert(
        fc.asyncProperty(frames, async ({ data, binary }) => {
          const from = socket.messages.length;
          socket.socket.send(binary ? Buffer.from(data) : data, { binary });
          // Frames are handled one at a time per connection: everything before the probe's snapshot answers the frame.
          socket.socket.send(probe);
          await socket.waitFor((m) => socket.messages.indexOf(m) >= from && m.type === 'snapshot', 30_000);
          const replies = socket.messages.slice(from, socket.messages.findIndex((m, i) => i >= from && m.type === 'snapshot'));
          expect(replies, data.slice(0, 200)).toHaveLength(1);
          expect(replies[0]).toMatchObject({ type: 'error', code: expect.stringMatching(/^(bad_request|not_found)$/) });
          expect(socket.socket.readyState).toBe(WebSocket.OPEN);
          expect(await rows(`CONN#${connectionId}`)).toEqual(['META']);
          expect(await rows(`JOB#${bobJob}`)).toEqual([]);
        }),
        { numRuns: RUNS },
      );
      // Bob's job was asked for and never shown.
      expect(socket.messages.filter((m) => m.job?.jobId === bobJob || (m.jobId === bobJob && m.type !== 'error'))).toEqual([]);
    } finally {
      await socket.close();
    }
  });

  it('closes a frame over 128 KB cleanly (1009) and removes the connection', async () => {
    const { socket, connectionId } = await open();
    const closed = new Promise<number>((resolve) => socket.socket.once('close', (code) => resolve(code)));
    socket.socket.send(JSON.stringify({ action: 'subscribe', jobId: aliceJob, pad: 'x'.repeat(200 * 1024) }));
    expect(await closed).toBe(1009);
    await until(async () => (await rows(`CONN#${connectionId}`)).length === 0, 30_000, 'connection removed by $disconnect');
    expect(socket.messages).toEqual([]);
    // The service is unharmed: a new connection works.
    const again = await open();
    again.socket.send({ action: 'subscribe', jobId: aliceJob });
    expect((await again.socket.waitFor((m) => m.type === 'snapshot')).job).toMatchObject({ jobId: aliceJob, status: 'succeeded' });
    await again.socket.close();
  });
});
