import { parseArgs } from 'node:util';
import { GetQueueAttributesCommand, PurgeQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators.ts';
import { readStackFile } from './stack-file.ts';
import { documentClient } from '../lambdas/adapters/dynamodb-document-client.ts';
import { isTier, TIERS, type Tier } from '../lambdas/core/tiers.ts';

/**
 * `npm run -s dlq [-- --tier pro] [--purge]`: what sits in the dead-letter queues of the running `npm start`
 * (each message with its job's final status and error), and in the progress stream's on-failure queue.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tier: { type: 'string' }, purge: { type: 'boolean', default: false } }, strict: true });
  if (values.tier !== undefined && !isTier(values.tier)) throw new Error(`--tier must be free, basic or pro, got ${values.tier}`);
  const stack = readStackFile();
  if (stack === undefined) throw new Error('no local stack is running (start one with npm start)');
  const config = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient({ ...config, endpoint: stack.sqsEndpoint });
  const dynamodb = new DynamoDBClient({ ...config, endpoint: stack.dynamodbEndpoint });
  const doc = documentClient(dynamodb);
  try {
    const tiers: Tier[] = values.tier !== undefined ? [values.tier as Tier] : [...TIERS];
    for (const tier of tiers) {
      const url = stack.queues[tier].dlqUrl;
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
      const depth = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
      console.log(`${tier} DLQ: ${depth} message(s)`);
      // Visibility 0: looking does not hide the messages from the next look.
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageSystemAttributeNames: ['All'] }));
      for (const message of Messages) {
        let jobId: string | undefined;
        try {
          jobId = (JSON.parse(message.Body ?? '') as { jobId?: string }).jobId;
        } catch {
          jobId = undefined;
        }
        const job = jobId ? (await doc.send(new GetCommand({ TableName: stack.jobsTable, Key: { jobId } }))).Item : undefined;
        const state = job ? `${job.status as string} after ${job.attempts as number} attempt(s)${job.error ? `: ${(job.error as { message: string }).message}` : ''}` : 'job not found';
        console.log(`  ${jobId ?? message.Body?.slice(0, 80)}  user ${job?.userId ?? '?'}  ${state}`);
      }
      if (depth > Messages.length) console.log(`  ... and ${depth - Messages.length} more`);
      if (values.purge && depth > 0) {
        await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
        console.log(`  purged`);
      }
    }
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.streamFailureQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    console.log(`progress stream on-failure queue: ${Attributes?.ApproximateNumberOfMessages ?? 0} undelivered batch(es)`);
  } finally {
    sqs.destroy();
    dynamodb.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
