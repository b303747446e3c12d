import { PurgeQueueCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { queueState } from '../lambdas/adapters/dynamodb-job-item.ts';
import { isTier, TIERS, type Tier } from '../lambdas/core/tiers.ts';
import type { JobMessage } from '../lambdas/core/ports/job-queue.ts';

export interface RequeueOptions {
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  jobsTable: string;
  queueUrls: Record<Tier, string>;
  now?: () => Date;
}

/**
 * After a restart with `--persist`, the Jobs table is the source of truth: a job left queued or running (its
 * worker died with the stack) is queued again with a fresh message. The tier queues are purged first, so a message
 * that survived in the SQS emulator does not run the job twice; the attempt count restarts at 0 because the
 * interruption was the stack's, not the job's, and must not use up its retries.
 * @returns the job ids put back, per tier
 */
export async function requeueLiveJobs(options: RequeueOptions): Promise<Record<Tier, string[]>> {
  const now = (options.now ?? (() => new Date()))().toISOString();
  await Promise.all(TIERS.map((tier) => options.sqs.send(new PurgeQueueCommand({ QueueUrl: options.queueUrls[tier] }))));
  const requeued: Record<Tier, string[]> = { free: [], basic: [], pro: [] };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await options.doc.send(
      new ScanCommand({
        TableName: options.jobsTable,
        FilterExpression: '#status IN (:queued, :running)',
        ProjectionExpression: 'jobId, userId, tier, #status, attempts',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':queued': 'queued', ':running': 'running' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const { jobId, userId, tier, status, attempts } = item as { jobId: string; userId: string; tier: unknown; status: string; attempts: number };
      if (!isTier(tier)) continue;
      try {
        await options.doc.send(
          new UpdateCommand({
            TableName: options.jobsTable,
            Key: { jobId },
            UpdateExpression: 'SET #status = :queued, attempts = :zero, progress = :zero, message = :message, updatedAt = :now, queueState = :qs',
            // Only the state we read: anything that moved it since (nothing should, the workers are not up yet) wins.
            ConditionExpression: '#status = :seen AND attempts = :attempts',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':queued': 'queued',
              ':zero': 0,
              ':message': 'Queued again after the local stack restarted',
              ':now': now,
              ':qs': queueState(tier, 'queued'),
              ':seen': status,
              ':attempts': attempts,
            },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) continue;
        throw error;
      }
      const message: JobMessage = { jobId, userId, tier };
      await options.sqs.send(new SendMessageCommand({ QueueUrl: options.queueUrls[tier], MessageBody: JSON.stringify(message) }));
      requeued[tier].push(jobId);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return requeued;
}
