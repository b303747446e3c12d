// An AWS-SDK-only bundle for `npm run bench:cold-start` (see dynamodb.ts): DynamoDB and SQS, what the functions that
// read or write the queues (the admin queue view, the stuck-job sweeper) construct.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});

export const handler = async (): Promise<unknown[]> =>
  Promise.all([
    dynamodb.send(new GetItemCommand({ TableName: 'floor', Key: { pk: { S: 'floor' } } })),
    sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/floor', MessageBody: 'floor' })),
  ]);
