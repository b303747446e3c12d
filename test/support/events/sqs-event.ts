import type { SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsRecordInput {
  /** A string is sent as is (for malformed bodies); anything else is JSON-encoded. */
  body: unknown;
  receiveCount?: number;
  messageId?: string;
  receiptHandle?: string;
  queueName?: string;
}

export function sqsRecord(input: SqsRecordInput): SQSRecord {
  const messageId = input.messageId ?? `msg-${Math.random().toString(16).slice(2)}`;
  return {
    messageId,
    receiptHandle: input.receiptHandle ?? `rh-${messageId}`,
    body: typeof input.body === 'string' ? input.body : JSON.stringify(input.body),
    attributes: {
      ApproximateReceiveCount: String(input.receiveCount ?? 1),
      SentTimestamp: String(Date.parse('2024-03-01T12:00:00Z')),
      SenderId: 'AIDTEST',
      ApproximateFirstReceiveTimestamp: String(Date.parse('2024-03-01T12:00:01Z')),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${input.queueName ?? 'jobs-free'}`,
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
