import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ConnectionStore, StoredConnection, Subscriber } from '../core/ports/connection-store.ts';

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
/** `USER#<id>` / `CONN#<connectionId>`: a user's open connections, counted at $connect for the per-user cap. */
const user = (userId: string): string => `USER#${userId}`;
const SUB = 'SUB#';

/** Connections and subscriptions in one DynamoDB table (layout in table-schema.ts). */
export class DynamoDbConnectionStore implements ConnectionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: DynamoDbConnectionStoreProps) {
    this.#client = props.client;
    this.#table = props.table;
  }

  async putConnection(connectionId: string, userId: string, now: number, tokenExpiresAt?: number): Promise<void> {
    const token = tokenExpiresAt !== undefined ? { tokenExpiresAt } : {};
    await this.#client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.#table, Item: { pk: conn(connectionId), sk: 'META', userId, connectedAt: now, expiresAt: ttl(now), ...token } } },
          { Put: { TableName: this.#table, Item: { pk: user(userId), sk: conn(connectionId), connectionId, expiresAt: ttl(now) } } },
        ],
      }),
    );
  }

  async getConnection(connectionId: string): Promise<StoredConnection | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: conn(connectionId), sk: 'META' }, ConsistentRead: true }),
    );
    if (typeof Item?.userId !== 'string') return undefined;
    return typeof Item.tokenExpiresAt === 'number' ? { userId: Item.userId, tokenExpiresAt: Item.tokenExpiresAt } : { userId: Item.userId };
  }

  async countConnections(userId: string, now: number): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          // TTL deletes late: a record past its expiry belongs to a connection API Gateway has long closed.
          FilterExpression: 'expiresAt > :now',
          ExpressionAttributeValues: { ':pk': user(userId), ':now': Math.floor(now / 1000) },
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  async subscriptionsOf(connectionId: string): Promise<string[]> {
    const jobs: string[] = [];
    for await (const item of this.#query(conn(connectionId))) if (item.sk.startsWith(SUB)) jobs.push(item.sk.slice(SUB.length));
    return jobs;
  }

  async deleteConnection(connectionId: string): Promise<void> {
    const keys: { pk: string; sk: string }[] = [];
    for await (const item of this.#query(conn(connectionId))) {
      keys.push({ pk: item.pk, sk: item.sk });
      if (item.sk.startsWith(SUB)) keys.push({ pk: job(item.sk.slice(SUB.length)), sk: conn(connectionId) });
      if (item.sk === 'META' && typeof item.userId === 'string') keys.push({ pk: user(item.userId), sk: conn(connectionId) });
    }
    await this.#deleteAll(keys);
  }

  async subscribe(connectionId: string, jobId: string, now: number, tokenExpiresAt?: number): Promise<void> {
    const expiresAt = ttl(now);
    const token = tokenExpiresAt !== undefined ? { tokenExpiresAt } : {};
    await this.#client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.#table, Item: { pk: job(jobId), sk: conn(connectionId), connectionId, expiresAt, ...token } } },
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

  async subscriberDetails(jobId: string): Promise<Subscriber[]> {
    const out: Subscriber[] = [];
    for await (const item of this.#query(job(jobId))) {
      const connectionId = item.sk.slice('CONN#'.length);
      out.push(typeof item.tokenExpiresAt === 'number' ? { connectionId, tokenExpiresAt: item.tokenExpiresAt } : { connectionId });
    }
    return out;
  }

  async *#query(pk: string): AsyncGenerator<{ pk: string; sk: string; userId?: unknown; tokenExpiresAt?: unknown }> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'pk, sk, userId, tokenExpiresAt',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield item as { pk: string; sk: string; userId?: unknown; tokenExpiresAt?: unknown };
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
