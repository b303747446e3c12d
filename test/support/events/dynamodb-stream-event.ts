import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { jobToItem } from '../../../lambdas/adapters/dynamodb-job-item.ts';
import type { Job } from '../../../lambdas/core/job.ts';

let sequence = 1000;

/** A Jobs table stream record (NEW_AND_OLD_IMAGES), images stored exactly as the repository writes items. */
export function jobStreamRecord(change: { oldJob?: Job; newJob?: Job }): DynamoDBRecord {
  const image = (job: Job | undefined) =>
    job ? (marshall(jobToItem(job), { removeUndefinedValues: true }) as Record<string, AttributeValue>) : undefined;
  const eventName = !change.oldJob ? 'INSERT' : !change.newJob ? 'REMOVE' : 'MODIFY';
  const jobId = (change.newJob ?? change.oldJob)?.jobId ?? 'none';
  sequence += 1;
  return {
    eventID: `evt-${sequence}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/Jobs/stream/2024-03-01T00:00:00.000',
    dynamodb: {
      Keys: { jobId: { S: jobId } },
      ...(change.oldJob ? { OldImage: image(change.oldJob) } : {}),
      ...(change.newJob ? { NewImage: image(change.newJob) } : {}),
      SequenceNumber: String(sequence),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  } as DynamoDBRecord;
}

export function streamEvent(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}
