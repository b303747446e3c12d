// An AWS-SDK-only bundle for `npm run bench:cold-start`: the DynamoDB client every table-backed function constructs at
// module scope, and nothing else (no handler code, no validation, no logger). Its import time is the floor under
// every function that talks to DynamoDB.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

const dynamodb = new DynamoDBClient({});

export const handler = async (): Promise<unknown> => dynamodb.send(new GetItemCommand({ TableName: 'floor', Key: { pk: { S: 'floor' } } }));
