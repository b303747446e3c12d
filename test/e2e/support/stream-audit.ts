import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/emulators.ts';

/** The fields of a job row the audit looks at, from one side of a stream record. */
export interface JobImage {
  jobId: string;
  status: string;
  attempts: number;
  progress: number;
  message: string;
  updatedAt: string;
}

export interface JobChangeRecord {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  sequenceNumber: string;
  oldImage?: JobImage;
  newImage?: JobImage;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** What happened to one job, read from every write the Jobs table made (the stream keeps them all for 24 h). */
export interface JobHistory {
  changes: JobChangeRecord[];
  /** Writes that started an attempt (`queued`/`running` → `running` with a higher attempt): each is one engine run. */
  runs: number;
  /** Writes that moved the job into a terminal status: exactly one, or the job finished twice. */
  terminalTransitions: number;
  /** Writes that stored a result (into `succeeded`). */
  completions: number;
  /** Changes a watching client must be told about (status, progress or message changed), as the notifier decides. */
  visibleChanges: JobImage[];
}

/**
 * An independent witness for the fault tests: reads the Jobs table's DynamoDB stream from its oldest record (the
 * table is fresh per test file, so everything in it is ours) and groups the writes by job. Unlike the job row, which
 * only shows the last state, the stream shows every transition, so a job that ran twice or finished twice shows up
 * here even if its final row looks right.
 */
export async function readJobHistories(dynamodbEndpoint: string, streamArn: string): Promise<Map<string, JobHistory>> {
  const client = new DynamoDBStreamsClient({ endpoint: dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);

    const records: JobChangeRecord[] = [];
    for (const shard of shards) {
      let { ShardIterator: iterator } = await client.send(
        new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      // An open shard never ends; it is read up to its newest record (an empty page), which is all that was written.
      while (iterator !== undefined) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        for (const r of page.Records ?? []) {
          records.push({
            eventName: r.eventName as JobChangeRecord['eventName'],
            sequenceNumber: r.dynamodb?.SequenceNumber ?? '',
            oldImage: image(r.dynamodb?.OldImage),
            newImage: image(r.dynamodb?.NewImage),
          });
        }
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    // Sequence numbers are ordered within and across the shards of one table.
    records.sort((a, b) => (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : 1));

    const histories = new Map<string, JobHistory>();
    for (const record of records) {
      const jobId = record.newImage?.jobId ?? record.oldImage?.jobId;
      if (jobId === undefined) continue;
      let history = histories.get(jobId);
      if (history === undefined) {
        history = { changes: [], runs: 0, terminalTransitions: 0, completions: 0, visibleChanges: [] };
        histories.set(jobId, history);
      }
      history.changes.push(record);
      const before = record.oldImage;
      const after = record.newImage;
      if (after === undefined) continue;
      if (after.status === 'running' && (before === undefined || after.attempts > before.attempts)) history.runs += 1;
      if (TERMINAL.has(after.status) && (before === undefined || !TERMINAL.has(before.status))) {
        history.terminalTransitions += 1;
        if (after.status === 'succeeded') history.completions += 1;
      }
      if (before === undefined || before.status !== after.status || before.progress !== after.progress || before.message !== after.message) {
        history.visibleChanges.push(after);
      }
    }
    return histories;
  } finally {
    client.destroy();
  }
}

function image(attributes: Record<string, AttributeValue> | undefined): JobImage | undefined {
  if (attributes === undefined || attributes.jobId?.S === undefined) return undefined;
  return {
    jobId: attributes.jobId.S,
    status: attributes.status?.S ?? '',
    attempts: Number(attributes.attempts?.N ?? 0),
    progress: Number(attributes.progress?.N ?? 0),
    message: attributes.message?.S ?? '',
    updatedAt: attributes.updatedAt?.S ?? '',
  };
}
