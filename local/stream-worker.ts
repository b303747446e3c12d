import { parentPort, workerData } from 'node:worker_threads';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators.ts';
import { lazyHandler, lambdaContext } from './lambda-runtime.ts';
import { startStreamPoller, type StreamFailure } from './stream-poller.ts';
import { LEADERBOARD_STREAM_MAPPING, PROGRESS_STREAM_MAPPING } from './stream-mapping.ts';
import type { Logger } from './http-util.ts';

/**
 * The Jobs stream's two event source mappings (progress notifier, leaderboard recorder) in a thread of their own, with
 * the production handlers loaded here (this thread's process.env is the handlers' environment). Why a thread: the
 * notifier's work per record (the AWS SDK's signing and (un)marshalling of its reads, one PostToConnection per
 * subscriber, and a tier's queue-position refresh of up to 100 jobs whenever a job leaves the queue) ran on the event
 * loop that also serves the HTTP API, the WebSocket gateway and fauxqs; under overload it kept that loop busy and
 * submissions and pushes waited behind it. On AWS the notifier is its own Lambda. Started by local/stream-thread.ts.
 */
export interface StreamWorkerData {
  streamArn: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  streamFailureQueueUrl: string;
  notifierEntry: string;
  recorderEntry: string;
  pollIntervalMs: number;
  /** Element 0: 1 while the progress mapping is paused (test hook), shared with the stack's thread. */
  paused: SharedArrayBuffer;
}

/** Messages this thread posts to the stack. */
export type StreamWorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'log'; level: 'error' | 'info'; message: string; detail?: string }
  | { type: 'stopped' };

const data = workerData as StreamWorkerData;
const port = parentPort;
if (port === null) throw new Error('stream-worker.ts must run in a worker thread');

const post = (message: StreamWorkerMessage): void => port.postMessage(message);
const detail = (value: unknown): string | undefined => (value === undefined ? undefined : value instanceof Error ? (value.stack ?? value.message) : String(value));
/** Logs go to the stack's logger, which decides what a test or a terminal shows. */
const log: Logger = {
  error: (message, error) => post({ type: 'log', level: 'error', message, detail: detail(error) }),
  info: (message) => post({ type: 'log', level: 'info', message }),
};

const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
const streams = new DynamoDBStreamsClient({ ...clientConfig, endpoint: data.dynamodbEndpoint });
const sqs = new SQSClient({ ...clientConfig, endpoint: data.sqsEndpoint });

try {
  const notifier = lazyHandler(data.notifierEntry);
  const recorder = lazyHandler(data.recorderEntry);
  // Loaded now (a warm start), so a broken handler fails the stack's start, not the first record.
  await Promise.all([notifier(), recorder()]);

  const progress = startStreamPoller({
    client: streams,
    streamArn: data.streamArn,
    settings: PROGRESS_STREAM_MAPPING,
    pollIntervalMs: data.pollIntervalMs,
    pausedFlag: new Int32Array(data.paused),
    log,
    invoke: async (event: DynamoDBStreamEvent) => (await notifier())(event, lambdaContext('progress-notifier', 30_000)),
    onFailure: async (failure: StreamFailure) => {
      log.error(`progress stream: ${failure.batchSize} record(s) on ${failure.shardId} not delivered (${failure.reason})`);
      await sqs.send(new SendMessageCommand({ QueueUrl: data.streamFailureQueueUrl, MessageBody: JSON.stringify({ ...failure, streamArn: data.streamArn }) }));
    },
  });
  // The leaderboard's consumer of the same stream (docs/leaderboard.md), mapped as the LeaderboardRecorder construct.
  const leaderboard = startStreamPoller({
    client: streams,
    streamArn: data.streamArn,
    settings: LEADERBOARD_STREAM_MAPPING,
    pollIntervalMs: data.pollIntervalMs,
    log,
    invoke: async (event: DynamoDBStreamEvent) => (await recorder())(event, lambdaContext('leaderboard-recorder', 30_000)),
    onFailure: async (failure: StreamFailure) => {
      log.error(`leaderboard stream: ${failure.batchSize} record(s) on ${failure.shardId} not settled (${failure.reason})`);
    },
  });
  await Promise.all([progress.ready, leaderboard.ready]);

  port.on('message', (message: { type: 'stop' }) => {
    if (message.type !== 'stop') return;
    void Promise.allSettled([progress.stop(), leaderboard.stop()]).then(() => {
      streams.destroy();
      sqs.destroy();
      post({ type: 'stopped' });
      port.close();
    });
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  streams.destroy();
  sqs.destroy();
  port.close();
}
