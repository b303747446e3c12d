import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { documentClient } from '../lambdas/adapters/dynamodb-document-client.ts';
import { DynamoDbJobRepository } from '../lambdas/adapters/dynamodb-job-repository.ts';
import { SqsDeadLetterQueue } from '../lambdas/adapters/sqs-dead-letter-queue.ts';
import { SqsJobQueue } from '../lambdas/adapters/sqs-job-queue.ts';
import { systemClock } from '../lambdas/core/ports/clock.ts';
import { isTier, TIERS, type Tier } from '../lambdas/core/tiers.ts';
import { listDeadLetters, redriveDeadLetters, type DeadLetterRow, type RedriveRow } from '../lambdas/core/use-cases/dead-letters.ts';

const USAGE = `npm run dlq -- <list|redrive> --tier <free|basic|pro> [--max N] [--json]
  where the stack is (first that applies):
    --queue-url URL --dlq-url URL --jobs-table NAME --users-table NAME   (e.g. from the CloudFormation outputs)
    --env-file FILE      dotenv file with JOBS_TABLE, USERS_TABLE, QUEUE_URL_<TIER>, DLQ_URL_<TIER> (and AWS_ENDPOINT_URL_* locally)
    --stack-file FILE    JSON with an "env" object, as the local stack writes it (default .local/stack.json when present)
    the environment      the same variables; AWS credentials and region as the AWS CLI finds them
  list     shows each message's body, its job's status and attempts (from the job row), and SQS's receive count
           (which also counts the DLQ's own reads, this listing's included); leaves every message in the DLQ
  redrive  puts dead-lettered jobs back to queued (attempts 0, credits debited again) and moves their messages
           to the tier queue; finished jobs' messages are removed; anything else stays, with the reason`;

class UsageError extends Error {
  override name = 'UsageError';
}

interface Target {
  tier: Tier;
  queueUrl: string;
  dlqUrl: string;
  jobsTable: string;
  usersTable: string;
}

function loadEnvironment(values: { 'env-file'?: string; 'stack-file'?: string }): void {
  if (values['env-file']) {
    // Variables already set win over the file, as with `node --env-file`.
    process.loadEnvFile(values['env-file']);
    return;
  }
  const stackFile = values['stack-file'] ?? (existsSync('.local/stack.json') ? '.local/stack.json' : undefined);
  if (!stackFile) return;
  const parsed = JSON.parse(readFileSync(stackFile, 'utf8')) as { env?: Record<string, unknown> };
  if (!parsed.env || typeof parsed.env !== 'object') throw new UsageError(`${stackFile} has no "env" object`);
  for (const [key, value] of Object.entries(parsed.env)) if (process.env[key] === undefined && typeof value === 'string') process.env[key] = value;
}

function target(values: Record<string, string | boolean | undefined>): Target {
  const tier = values.tier;
  if (!isTier(tier)) throw new UsageError(`--tier must be one of ${TIERS.join(', ')}`);
  const suffix = tier.toUpperCase();
  const pick = (flag: string, env: string): string => {
    const value = (values[flag] as string | undefined) ?? process.env[env];
    if (!value) throw new UsageError(`set --${flag} or ${env}`);
    return value;
  };
  return {
    tier,
    queueUrl: pick('queue-url', `QUEUE_URL_${suffix}`),
    dlqUrl: pick('dlq-url', `DLQ_URL_${suffix}`),
    jobsTable: pick('jobs-table', 'JOBS_TABLE'),
    usersTable: pick('users-table', 'USERS_TABLE'),
  };
}

function printList(rows: DeadLetterRow[]): void {
  if (rows.length === 0) return void console.log('the DLQ is empty');
  for (const r of rows) {
    const attempts = r.jobAttempts === undefined ? '' : ` after ${r.jobAttempts} attempt${r.jobAttempts === 1 ? '' : 's'}`;
    const job = r.jobId ? `job ${r.jobId}: ${r.jobStatus ?? 'missing'}${attempts}${r.jobError ? ` (${r.jobError.code}: ${r.jobError.message})` : ''}` : 'names no job';
    // The attempts come from the job row. SQS's receive count also counts the move to the DLQ and every DLQ read
    // (this listing too: SQS has no peek), so it grows each time the DLQ is listed; it is shown, labelled, for support.
    console.log(`${r.messageId}${r.sentAt ? `  sent=${r.sentAt}` : ''}  sqsReceiveCount=${r.receiveCount}\n  ${job}\n  body: ${r.body.slice(0, 500)}`);
  }
  console.log(`${rows.length} message(s); sqsReceiveCount includes the DLQ's own reads, this listing's too`);
}

function printRedrive(rows: RedriveRow[]): void {
  if (rows.length === 0) return void console.log('the DLQ is empty');
  for (const r of rows) console.log(`${r.outcome.padEnd(16)} ${r.jobId ?? '-'}  ${r.detail}`);
  const count = (o: RedriveRow['outcome']) => rows.filter((r) => r.outcome === o).length;
  console.log(`redriven ${count('redriven')}, removed (finished) ${count('removed-finished')}, kept ${count('kept')}`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      tier: { type: 'string' },
      max: { type: 'string', default: '100' },
      json: { type: 'boolean', default: false },
      'env-file': { type: 'string' },
      'stack-file': { type: 'string' },
      'queue-url': { type: 'string' },
      'dlq-url': { type: 'string' },
      'jobs-table': { type: 'string' },
      'users-table': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const command = positionals[0];
  if (command !== 'list' && command !== 'redrive') throw new UsageError('the first argument must be list or redrive');
  const max = Number(values.max);
  if (!Number.isInteger(max) || max < 1 || max > 10_000) throw new UsageError('--max must be a whole number from 1 to 10000');
  loadEnvironment(values);
  const t = target(values);

  // Endpoints come from AWS_ENDPOINT_URL_SQS / _DYNAMODB locally, from the default chain on AWS.
  const sqs = new SQSClient({});
  const dynamodb = new DynamoDBClient({});
  try {
    const deps = {
      dlq: new SqsDeadLetterQueue({ client: sqs, dlqUrls: { free: t.dlqUrl, basic: t.dlqUrl, pro: t.dlqUrl } }),
      jobs: new DynamoDbJobRepository({ client: documentClient(dynamodb), jobsTable: t.jobsTable, usersTable: t.usersTable }),
      queue: new SqsJobQueue({ client: sqs, queueUrls: { free: t.queueUrl, basic: t.queueUrl, pro: t.queueUrl } }),
      clock: systemClock,
    };
    if (command === 'list') {
      const rows = await listDeadLetters(t.tier, max, deps);
      if (values.json) console.log(JSON.stringify(rows, null, 2));
      else printList(rows);
    } else {
      const rows = await redriveDeadLetters(t.tier, max, deps);
      if (values.json) console.log(JSON.stringify(rows, null, 2));
      else printRedrive(rows);
      if (rows.some((r) => r.outcome === 'kept')) process.exitCode = 1;
    }
  } finally {
    sqs.destroy();
    dynamodb.destroy();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`dlq: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
