import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { errorsOnlyLogger } from '../../local/http-util.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators.ts';
import { MAX_RECEIVE_COUNT } from '../../lambdas/core/tiers.ts';
import { emulatorEndpoints, freshPrefix } from '../support/emulator-env.ts';
import { ApiClient, SocketClient } from './support/clients.ts';
import { tempDir } from '../support/temp-dir.ts';

// A job whose every attempt fails recoverably: its data file cannot be read (a folder sits where the CSV should be,
// so the read fails with EISDIR: an I/O error, not an unknown symbol, hence retried). Real backoff 2, 4, 8 s.
// Submit checks symbols against a listing it caches for minutes, so the file is a real CSV when the listing is taken
// and turns into a folder afterwards, as data that breaks after it was listed.
let stack: LocalStack;
let sqs: SQSClient;
let flakyFile: string;

beforeAll(async () => {
  const dataDir = tempDir('e2e-data-');
  flakyFile = join(dataDir, 'FLAKY-1d.csv');
  const days = Array.from({ length: 60 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
  writeFileSync(flakyFile, ['Date,Open,High,Low,Close,Volume', ...days.map((d, i) => `${d},${10 + i},${11 + i},${9 + i},${10.5 + i},1000`)].join('\n'));
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    emulators: emulatorEndpoints(),
    prefix: freshPrefix('retry'),
    dataDir,
    workerThreads: { free: 1, basic: 1, pro: 1 },
    extraEnv: { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'ERROR' },
    log: errorsOnlyLogger,
  });
  sqs = new SQSClient({ endpoint: stack.sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
});

describe('retries and the dead-letter queue', () => {
  // 2 + 4 + 8 s of backoff is the floor; the timeouts above it only stop a hang on a loaded machine.
  it('retries a failing job with backoff, fails it after the last attempt and parks its message in the DLQ', { timeout: 180_000 }, async () => {
    const token = await stack.token({ userId: 'flaky-user', tier: 'basic' });
    const api = new ApiClient(stack.httpUrl, token);
    const socket = await SocketClient.open(stack.wsUrl, token);
    try {
      // Prepare: submit's listing taken while the file is readable (a range after the data: refused, nothing queued),
      // then the file becomes unreadable.
      const early = await api.submit({ strategyId: 'buy-and-hold', symbol: 'FLAKY', timeframe: '1d', startDate: '2030-01-01', endDate: '2030-12-31' });
      expect(early.status, JSON.stringify(early.body)).toBe(400);
      expect(early.body.errors).toEqual([expect.objectContaining({ path: 'startDate' })]);
      rmSync(flakyFile);
      mkdirSync(flakyFile);

      // The first attempt fails within milliseconds of the submit, possibly before the subscription is stored; with the
      // stream mapping held until the snapshot arrived, every change of the job is delivered after it, so the client is
      // told of each retry however the race goes.
      stack.testHooks.pauseStreamPoller();
      let jobId: string;
      let started: number;
      try {
        const submitted = await api.submit({ strategyId: 'buy-and-hold', symbol: 'FLAKY', timeframe: '1d', startDate: '2020-01-01', endDate: '2020-02-29' });
        expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
        jobId = submitted.body.jobId;
        started = Date.now();
        socket.send({ action: 'subscribe', jobId });
        await socket.waitFor((m) => m.type === 'snapshot' && m.job?.jobId === jobId, 30_000);
      } finally {
        stack.testHooks.resumeStreamPoller();
      }

      const failed = await api.waitFor(jobId, (j) => j.status === 'failed', 120_000);
      const elapsedS = (Date.now() - started) / 1000;
      expect(failed).toMatchObject({ status: 'failed', attempts: MAX_RECEIVE_COUNT, error: { code: 'retries_exhausted' } });
      // Backoff 2 + 4 + 8 s (jitter up to +25 %) between the four attempts.
      expect(elapsedS).toBeGreaterThanOrEqual(13);

      // The client saw each retry being scheduled, then the failure.
      await socket.waitFor((m) => m.type === 'progress' && m.status === 'failed', 30_000);
      // Count distinct announcements: a queue-position refresh may repeat the same queued state with its new place.
      const retries = new Set(
        socket.messages.filter((m) => m.type === 'progress' && m.status === 'queued' && /retrying/.test(m.message)).map((m) => m.message.replace(/ \(.*$/, '')),
      );
      expect([...retries].sort()).toEqual(Array.from({ length: MAX_RECEIVE_COUNT - 1 }, (_, i) => `Attempt ${i + 1} failed`));

      let dead: { jobId: string } | undefined;
      const end = Date.now() + 30_000;
      while (dead === undefined && Date.now() < end) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.resources.queues.basic.dlqUrl, WaitTimeSeconds: 1 }));
        const body = out.Messages?.[0]?.Body;
        if (body !== undefined) dead = JSON.parse(body) as { jobId: string };
      }
      expect(dead?.jobId).toBe(jobId);
    } finally {
      await socket.close();
    }
  });
});
