import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand, DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { startSqsPoller } from '../../local/sqs-poller.ts';
import { laneOf, startStreamPoller, type StreamFailure } from '../../local/stream-poller.ts';
import { silentLogger } from '../../local/http-util.ts';
import { until } from '../support/until.ts';

// The local event source mappings against the real emulators, with recording functions: concurrency, partial
// batch responses, redrive to the DLQ, the stream filter, and bisect-on-error isolating a poison record.
let env: EmulatorEnv;

beforeAll(async () => {
  env = await freshEmulatorEnv('pollers', { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
});
afterAll(() => env?.close());

describe('local SQS event source mapping', () => {
  it('never runs more than maxConcurrency invocations, one record each, and deletes on success', async () => {
    const queueUrl = env.queues.basic.url;
    for (let i = 0; i < 6; i++) await env.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ i }) }));
    let running = 0;
    let peak = 0;
    const bodies: number[] = [];
    // Recorded and asserted after the run: an expect thrown in here would only fail the invocation, and the test
    // would time out instead of saying what was wrong.
    const batchSizes: number[] = [];
    const poller = await startSqsPoller({
      sqs: env.sqs,
      queueUrl,
      maxConcurrency: 2,
      waitTimeSeconds: 1,
      log: silentLogger,
      invoke: async (event: SQSEvent) => {
        batchSizes.push(event.Records.length);
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 100));
        bodies.push(JSON.parse(event.Records[0].body).i);
        running--;
        return { batchItemFailures: [] };
      },
    });
    try {
      await until(() => bodies.length === 6, 10_000, 'six messages handled');
      expect(batchSizes).toEqual([1, 1, 1, 1, 1, 1]);
      expect(peak).toBe(2);
      expect([...bodies].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await poller.stop();
    }
    const left = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(left.Messages ?? []).toHaveLength(0);
  });

  it('leaves a reported failure on the queue, passes the receive count, and the redrive moves it to the DLQ', async () => {
    const queueUrl = env.queues.free.url;
    await env.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));
    const receiveCounts: string[] = [];
    const poller = await startSqsPoller({
      sqs: env.sqs,
      queueUrl,
      maxConcurrency: 2,
      waitTimeSeconds: 1,
      log: silentLogger,
      invoke: async (event: SQSEvent) => {
        receiveCounts.push(event.Records[0].attributes.ApproximateReceiveCount);
        return { batchItemFailures: [{ itemIdentifier: event.Records[0].messageId }] };
      },
    });
    try {
      await until(() => receiveCounts.length === 2, 10_000, 'two receives');
      // maxReceiveCount is 2: the third receive moves it to the DLQ instead of invoking again.
      let dead: string | undefined;
      const end = Date.now() + 8000;
      while (dead === undefined && Date.now() < end) {
        const out = await env.sqs.send(new ReceiveMessageCommand({ QueueUrl: env.queues.free.dlqUrl, WaitTimeSeconds: 1 }));
        dead = out.Messages?.[0]?.Body;
      }
      expect(dead).toBe('poison');
      expect(receiveCounts).toEqual(['1', '2']);
    } finally {
      await poller.stop();
    }
  });
});

describe('local DynamoDB stream event source mapping', () => {
  it('delivers INSERT and MODIFY (not REMOVE) in order, and bisects to isolate a poison record', async () => {
    const streams = new DynamoDBStreamsClient({ endpoint: env.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const delivered: DynamoDBRecord[] = [];
    const failures: StreamFailure[] = [];
    let invocations = 0;
    const poller = startStreamPoller({
      client: streams,
      streamArn: env.jobsStreamArn,
      settings: { startingPosition: 'LATEST', batchSize: 100, retryAttempts: 2, bisectBatchOnError: true, reportBatchItemFailures: true, maxRecordAgeSeconds: 900, filters: [{ eventName: ['INSERT', 'MODIFY'] }] },
      log: silentLogger,
      onFailure: async (failure) => { failures.push(failure); },
      invoke: async (event) => {
        invocations++;
        if (event.Records.some((r) => r.dynamodb?.NewImage?.poison?.BOOL === true)) throw new Error('poison');
        delivered.push(...event.Records);
        return { batchItemFailures: [] };
      },
    });
    try {
      await poller.ready;
      const table = env.tables.jobs;
      await env.doc.send(new PutCommand({ TableName: table, Item: { jobId: 'a', n: 1, blob: new Uint8Array([1, 2]), empty: {}, flag: false } }));
      await env.doc.send(new UpdateCommand({ TableName: table, Key: { jobId: 'a' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 2 } }));
      await env.doc.send(new DeleteCommand({ TableName: table, Key: { jobId: 'a' } }));
      // A marker written after the delete: records of one key range come in order, so once the marker is here a
      // REMOVE that slipped through the filter would be here too (no fixed wait that a slow delivery outlasts).
      await env.doc.send(new PutCommand({ TableName: table, Item: { jobId: 'a', n: 3 } }));
      await until(() => delivered.some((r) => r.dynamodb?.NewImage?.n?.N === '3'), 10_000, 'the marker delivered');
      expect(delivered.map((r) => `${r.eventName}:${r.dynamodb?.NewImage?.n?.N}`)).toEqual(['INSERT:1', 'MODIFY:2', 'INSERT:3']);
      expect(delivered[0].dynamodb?.NewImage?.blob?.B).toBe(Buffer.from([1, 2]).toString('base64'));
      // Lambda's JSON attribute values, which unmarshall accepts (an empty map included).
      expect(unmarshall(delivered[0].dynamodb?.NewImage as Record<string, AttributeValue>)).toEqual({ jobId: 'a', n: 1, blob: 'AQI=', empty: {}, flag: false });
      expect(delivered[1].dynamodb?.OldImage?.n?.N).toBe('1');

      // Written back to back so they likely share a batch; either way only the poison record fails.
      delivered.length = 0;
      await Promise.all([
        env.doc.send(new PutCommand({ TableName: table, Item: { jobId: 'b', n: 1 } })),
        env.doc.send(new PutCommand({ TableName: table, Item: { jobId: 'c', n: 1, poison: true } })),
        env.doc.send(new PutCommand({ TableName: table, Item: { jobId: 'd', n: 1 } })),
      ]);
      await until(() => failures.length === 1 && delivered.length === 2, 10_000, 'poison isolated');
      expect(delivered.map((r) => r.dynamodb?.Keys?.jobId?.S).sort()).toEqual(['b', 'd']);
      expect(failures[0]).toMatchObject({ reason: 'RetryAttemptsExhausted', batchSize: 1 });
      expect(invocations).toBeGreaterThan(2);
    } finally {
      await poller.stop();
      streams.destroy();
    }
  });

  it('with a parallelization factor, a slow batch holds back only its own lane; each item keeps its order', async () => {
    const streams = new DynamoDBStreamsClient({ endpoint: env.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const asRecord = (jobId: string) => ({ dynamodb: { Keys: { jobId: { S: jobId } } } }) as DynamoDBRecord;
    // Two items in different lanes (the lane is a hash of the key): one whose delivery hangs, one that must not wait.
    const slow = 'lane-slow';
    const fast = ['lane-a', 'lane-b', 'lane-c', 'lane-d', 'lane-e', 'lane-f'].find((k) => laneOf(asRecord(k), 2) !== laneOf(asRecord(slow), 2))!;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const delivered: string[] = [];
    const poller = startStreamPoller({
      client: streams,
      streamArn: env.jobsStreamArn,
      settings: { startingPosition: 'LATEST', batchSize: 100, retryAttempts: 0, bisectBatchOnError: false, reportBatchItemFailures: true, maxRecordAgeSeconds: 900, filters: [{ eventName: ['INSERT', 'MODIFY'] }], parallelizationFactor: 2 },
      log: silentLogger,
      onFailure: async () => undefined,
      invoke: async (event) => {
        const keys = event.Records.map((r) => `${r.dynamodb?.Keys?.jobId?.S}:${r.dynamodb?.NewImage?.n?.N}`);
        if (keys.some((k) => k.startsWith(`${slow}:`))) await held;
        delivered.push(...keys);
        return { batchItemFailures: [] };
      },
    });
    try {
      await poller.ready;
      const table = env.tables.jobs;
      await env.doc.send(new PutCommand({ TableName: table, Item: { jobId: slow, n: 1 } }));
      for (let n = 1; n <= 3; n++) await env.doc.send(new PutCommand({ TableName: table, Item: { jobId: fast, n } }));
      // The other lane's records arrive while the slow lane's first batch is still being delivered.
      await until(() => delivered.filter((k) => k.startsWith(`${fast}:`)).length === 3, 10_000, 'the other lane delivered');
      expect(delivered.some((k) => k.startsWith(`${slow}:`))).toBe(false);
      await env.doc.send(new PutCommand({ TableName: table, Item: { jobId: slow, n: 2 } }));
      release();
      await until(() => delivered.filter((k) => k.startsWith(`${slow}:`)).length === 2, 10_000, 'the slow lane delivered');
      expect(delivered.filter((k) => k.startsWith(`${fast}:`))).toEqual([`${fast}:1`, `${fast}:2`, `${fast}:3`]);
      expect(delivered.filter((k) => k.startsWith(`${slow}:`))).toEqual([`${slow}:1`, `${slow}:2`]);
    } finally {
      release();
      await poller.stop();
      streams.destroy();
    }
  });
});
