import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TIERS, type Tier } from '../lambdas/core/tiers.ts';
import type { LocalStack } from './stack.ts';

/**
 * Where a running `npm start` says where it is, so `npm run dlq` and `npm run demo` find its endpoints (the
 * emulator ports are picked at random). Removed on a clean stop; a stale file is recognised by its dead pid.
 * `LOCAL_STACK_FILE` moves it (tests that run `npm start` must not overwrite a developer's).
 */
export const STACK_FILE = process.env.LOCAL_STACK_FILE ?? join(import.meta.dirname, '..', '.local', 'stack.json');

export interface StackFile {
  pid: number;
  httpUrl: string;
  wsUrl: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  jobsTable: string;
  /** Where the admin tier route stores tiers locally: the token CLI reads a user's tier from it. */
  usersTable: string;
  queues: Record<Tier, { url: string; dlqUrl: string }>;
  streamFailureQueueUrl: string;
  /** The handlers' environment (table names, queue URLs, endpoints): what scripts/dlq.ts reads. */
  env: Record<string, string>;
}

/** What a running stack writes about itself. */
export function stackFileOf(stack: LocalStack, pid = process.pid): StackFile {
  return {
    pid,
    httpUrl: stack.httpUrl,
    wsUrl: stack.wsUrl,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    sqsEndpoint: stack.sqsEndpoint,
    jobsTable: stack.resources.tables.jobs,
    usersTable: stack.resources.tables.users,
    queues: Object.fromEntries(TIERS.map((t) => [t, { url: stack.resources.queues[t].url, dlqUrl: stack.resources.queues[t].dlqUrl }])) as StackFile['queues'],
    streamFailureQueueUrl: stack.streamFailureQueueUrl,
    env: { ...stack.env },
  };
}

export function writeStackFile(info: StackFile, path = STACK_FILE): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(info, null, 2));
}

export function removeStackFile(path = STACK_FILE): void {
  rmSync(path, { force: true });
}

/** The running stack's endpoints, or undefined when none runs. */
export function readStackFile(path = STACK_FILE): StackFile | undefined {
  if (!existsSync(path)) return undefined;
  const info = JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  try {
    process.kill(info.pid, 0);
  } catch {
    return undefined;
  }
  return info;
}
