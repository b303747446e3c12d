// An AWS-SDK-only bundle for `npm run bench:cold-start` (see dynamodb.ts): DynamoDB, SQS and S3, what submit and the
// workers construct (jobs, queues, and the market data and symbol catalog in S3).
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});
const s3 = new S3Client({});

export const handler = async (): Promise<unknown[]> =>
  Promise.all([
    dynamodb.send(new GetItemCommand({ TableName: 'floor', Key: { pk: { S: 'floor' } } })),
    sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/floor', MessageBody: 'floor' })),
    s3.send(new GetObjectCommand({ Bucket: 'floor', Key: 'floor' })),
  ]);
