import { execFileSync, spawn } from 'node:child_process';

import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { documentClient } from '../../lambdas/adapters/dynamodb-document-client.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startEmulators } from '../../local/emulators.ts';
import { createResources, type LocalResources } from '../../local/resources.ts';
import { tempDir } from '../support/temp-dir.ts';

const CHILD = resolve(import.meta.dirname, '../support/emulator-child.ts');

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when nothing matches
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('emulator lifecycle', () => {
  it.each(['SIGKILL', 'SIGTERM'] as const)('leaves no Java process behind when its parent dies by %s', async (signal) => {
    const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolveLine, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolveLine);
      child.once('exit', (code) => reject(new Error(`emulator child exited early (${code})`)));
    });
    const { watchdogPid } = JSON.parse(line) as { watchdogPid: number };
    const javaPids = childrenOf(watchdogPid);
    expect(javaPids.length).toBeGreaterThan(0);

    child.kill(signal);

    // A JVM that outlived its parent never exits; one that takes a few seconds to stop on a loaded machine is fine.
    expect(await eventually(() => [watchdogPid, ...javaPids].every((pid) => !alive(pid)), 30_000)).toBe(true);
  }, 120_000);

  it('keeps tables, items, queues and messages across restarts with persistDir', async () => {
    const persistDir = tempDir('emu-persist-');
    async function withStack<T>(fn: (doc: DynamoDBDocumentClient, sqs: SQSClient, r: LocalResources) => Promise<T>): Promise<T> {
      const emulators = await startEmulators({ persistDir });
      const dynamodb = new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
      const sqs = new SQSClient({ endpoint: emulators.sqsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
      try {
        return await fn(documentClient(dynamodb), sqs, await createResources({ ...emulators, prefix: 'persist' }));
      } finally {
        dynamodb.destroy();
        sqs.destroy();
        await emulators.stop();
      }
    }

    await withStack(async (doc, sqs, r) => {
      await doc.send(new PutCommand({ TableName: r.tables.users, Item: { pk: 'USER#a', sk: 'PROFILE', credits: 7 } }));
      await sqs.send(new SendMessageCommand({ QueueUrl: r.queues.pro.url, MessageBody: '{"jobId":"j1"}' }));
    });
    const after = await withStack(async (doc, sqs, r) => ({
      item: (await doc.send(new GetCommand({ TableName: r.tables.users, Key: { pk: 'USER#a', sk: 'PROFILE' } }))).Item,
      message: (await sqs.send(new ReceiveMessageCommand({ QueueUrl: r.queues.pro.url }))).Messages?.[0]?.Body,
    }));

    expect(after).toEqual({ item: { pk: 'USER#a', sk: 'PROFILE', credits: 7 }, message: '{"jobId":"j1"}' });
    // Two emulator starts (two JVMs): 26 s of the old 60 s bound in a loaded full run; the bound only stops a hang.
  }, 240_000);
});
