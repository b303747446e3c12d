import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ConnectionStore } from '../core/ports/connection-store.ts';

export interface DynamoDbConnectionStoreProps {
  client: DynamoDBDocumentClient;
  /** Connections table (CONNECTIONS_TABLE in table-schema.ts). */
  table: string;
}

/**
 * API Gateway closes a WebSocket after 2 hours at most, so nothing here needs to live longer; the TTL cleans up
 * after connections whose `$disconnect` never ran.
 */
export const CONNECTION_TTL_SECONDS = 2 * 3600 + 600;

const conn = (connectionId: string): string => `CONN#${connectionId}`;
const job = (jobId: string): string => `JOB#${jobId}`;
const SUB = 'SUB#';

/** Connections and subscriptions in one DynamoDB table (layout in table-schema.ts). */
export class DynamoDbConnectionStore implements ConnectionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: DynamoDbConnectionStoreProps) {
    this.#client = props.client;
    this.#table = props.table;
  }

  async putConnection(connectionId: string, userId: string, now: number): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: { pk: conn(connectionId), sk: 'META', userId, connectedAt: now, expiresAt: ttl(now) },
      }),
    );
  }

  async getConnection(connectionId: string): Promise<{ userId: string } | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: conn(connectionId), sk: 'META' }, ConsistentRead: true }),
    );
    return typeof Item?.userId === 'string' ? { userId: Item.userId } : undefined;
  }

  async deleteConnection(connectionId: string): Promise<void> {
    const keys: { pk: string; sk: string }[] = [];
    for await (const item of this.#query(conn(connectionId))) {
      keys.push({ pk: item.pk, sk: item.sk });
      if (item.sk.startsWith(SUB)) keys.push({ pk: job(item.sk.slice(SUB.length)), sk: conn(connectionId) });
    }
    await this.#deleteAll(keys);
  }

  async subscribe(connectionId: string, jobId: string, now: number): Promise<void> {
    const expiresAt = ttl(now);
    await this.#client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.#table, Item: { pk: job(jobId), sk: conn(connectionId), connectionId, expiresAt } } },
          { Put: { TableName: this.#table, Item: { pk: conn(connectionId), sk: `${SUB}${jobId}`, jobId, expiresAt } } },
        ],
      }),
    );
  }

  async unsubscribe(connectionId: string, jobId: string): Promise<void> {
    await Promise.all([
      this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { pk: job(jobId), sk: conn(connectionId) } })),
      this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { pk: conn(connectionId), sk: `${SUB}${jobId}` } })),
    ]);
  }

  async subscribers(jobId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const item of this.#query(job(jobId))) ids.push(item.sk.slice('CONN#'.length));
    return ids;
  }

  async *#query(pk: string): AsyncGenerator<{ pk: string; sk: string }> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield item as { pk: string; sk: string };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async #deleteAll(keys: { pk: string; sk: string }[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      // BatchWrite may hand back part of a batch under throttling; retry those with a short backoff.
      for (let round = 0; requests.length > 0; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** round)));
        const { UnprocessedItems } = await this.#client.send(new BatchWriteCommand({ RequestItems: { [this.#table]: requests } }));
        requests = (UnprocessedItems?.[this.#table] ?? []) as typeof requests;
        if (round > 8 && requests.length > 0) throw new Error(`could not delete ${requests.length} connection items`);
      }
    }
  }
}

function ttl(nowMs: number): number {
  return Math.floor(nowMs / 1000) + CONNECTION_TTL_SECONDS;
}
