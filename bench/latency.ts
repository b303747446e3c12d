import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import WebSocket from 'ws';
import { parseArgs } from 'node:util';
import { startLocalStack } from '../local/stack.ts';
import { errorsOnlyLogger } from '../local/http-util.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/emulators.ts';
import { documentClient } from '../lambdas/adapters/dynamodb-document-client.ts';
import { jobToItem } from '../lambdas/adapters/dynamodb-job-item.ts';
import { newJob, startAttempt } from '../lambdas/core/job.ts';
import { submitRequestSchema } from '../lambdas/core/submit-schema.ts';

/**
 * `npm run bench:latency [-- --updates 300 --interval 25]`: how long a progress write in DynamoDB takes to reach a
 * WebSocket client through the stream poller, the production progress notifier and the local management API.
 * Progress is written straight into a running job's row with the SDK (as the worker does), the write's start
 * time rides in the message, and the client measures on arrival: write + stream poll + notifier + push.
 */
const GOAL_P95_MS = 150;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { updates: { type: 'string', default: '300' }, interval: { type: 'string', default: '25' } }, strict: true });
  const updates = Number(values.updates);
  const intervalMs = Number(values.interval);
  if (!Number.isInteger(updates) || updates < 1) throw new Error(`--updates must be a positive whole number, got ${values.updates}`);
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new Error(`--interval must be a number of ms >= 0, got ${values.interval}`);

  console.log('Starting a local stack...');
  const stack = await startLocalStack({ httpPort: 0, wsPort: 0, prefix: `bench-${randomUUID().slice(0, 6)}`, log: errorsOnlyLogger, extraEnv: { LOG_LEVEL: 'ERROR' } });
  const dynamodb = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const doc = documentClient(dynamodb);
  try {
    const userId = 'bench-user';
    const now = new Date().toISOString();
    const request = submitRequestSchema.parse({ strategyId: 'buy-and-hold', symbol: 'SYNTH-BENCH' });
    const job = startAttempt(newJob({ jobId: randomUUID(), userId, tier: 'pro', request, combinations: 1, creditsCharged: 1, now }), 1, now);
    await doc.send(new PutCommand({ TableName: stack.resources.tables.jobs, Item: jobToItem(job) }));

    const token = await stack.token({ userId, tier: 'pro' });
    const socket = new WebSocket(`${stack.wsUrl}/?token=${encodeURIComponent(token)}`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const latencies: number[] = [];
    let snapshot: () => void = () => undefined;
    const snapshotSeen = new Promise<void>((resolve) => { snapshot = resolve; });
    let allSeen: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => { allSeen = resolve; });
    socket.on('message', (data) => {
      const arrived = performance.timeOrigin + performance.now();
      const message = JSON.parse(String(data)) as { type: string; message?: string };
      if (message.type === 'snapshot') snapshot();
      const sentAt = message.type === 'progress' ? /^bench (\d+) ([\d.]+)$/.exec(message.message ?? '') : null;
      if (sentAt === null) return;
      latencies.push(arrived - Number(sentAt[2]));
      if (latencies.length === updates) allSeen();
    });
    socket.send(JSON.stringify({ action: 'subscribe', jobId: job.jobId }));
    await snapshotSeen;

    console.log(`Writing ${updates} progress updates, one every ${intervalMs} ms...`);
    const writeMs: number[] = [];
    for (let i = 1; i <= updates; i++) {
      const sentAt = performance.timeOrigin + performance.now();
      await doc.send(
        new UpdateCommand({
          TableName: stack.resources.tables.jobs,
          Key: { jobId: job.jobId },
          UpdateExpression: 'SET progress = :p, message = :m, updatedAt = :u',
          ExpressionAttributeValues: { ':p': i / updates, ':m': `bench ${i} ${sentAt.toFixed(3)}`, ':u': new Date().toISOString() },
        }),
      );
      writeMs.push(performance.timeOrigin + performance.now() - sentAt);
      if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
    }
    const timedOut = await Promise.race([finished.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 10_000))]);
    socket.close();

    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    const w = [...writeMs].sort((a, b) => a - b);
    console.log(`
Progress write -> WebSocket client, ${latencies.length}/${updates} updates received${timedOut ? ' (timed out waiting for the rest)' : ''}
  p50 ${pct(50).toFixed(1)} ms   p95 ${pct(95).toFixed(1)} ms   max ${sorted.at(-1)!.toFixed(1)} ms   (min ${sorted[0].toFixed(1)} ms)
  of which the DynamoDB write itself: p50 ${w[Math.floor(w.length / 2)].toFixed(1)} ms
  goal p95 < ${GOAL_P95_MS} ms: ${pct(95) < GOAL_P95_MS ? 'met' : 'NOT met'} (the old system promised < 2000 ms)`);
    if (latencies.length < updates || pct(95) >= GOAL_P95_MS) process.exitCode = 1;
  } finally {
    dynamodb.destroy();
    await stack.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
