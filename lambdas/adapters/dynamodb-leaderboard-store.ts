import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RANK_METRIC_NAMES, RANK_METRICS, rankKey, rankValue, type LeaderboardEntry, type RankMetric } from '../core/leaderboard-entry.ts';
import type { LeaderboardStore, PendingPublication, RankedPage } from '../core/ports/leaderboard-store.ts';

export interface DynamoDbLeaderboardStoreProps {
  client: DynamoDBDocumentClient;
  /** Leaderboard table (LEADERBOARD_TABLE in table-schema.ts). */
  table: string;
}

const boardPk = (board: string): string => `BOARD#${board}`;
const entrySk = (entryId: string): string => `ENTRY#${entryId}`;
const ownerSk = (ownerKey: string): string => `OWNER#${ownerKey}`;
const pendingPk = (jobId: string): string => `PENDING#${jobId}`;

const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'ConditionalCheckFailedException' || error.name === 'TransactionCanceledException');

/**
 * Leaderboard items in one table (layout in table-schema.ts). Entries and pending publications are JSON strings, as
 * job results are: the entry comes back exactly as it was computed (a non-finite stat as null, as the API serves it).
 * Each entry item carries one rank key per metric; those attributes feed the metric's index, which only entry items
 * have, so a board is ranked with one Query and never a scan.
 */
export class DynamoDbLeaderboardStore implements LeaderboardStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: DynamoDbLeaderboardStoreProps) {
    this.#client = props.client;
    this.#table = props.table;
  }

  async takePublishSlot(userId: string, windowKey: string, limit: number, expiresAt: number): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: `RATE#${userId}`, sk: `PUBLISH#${windowKey}` },
          UpdateExpression: 'ADD #count :one SET expiresAt = :exp',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':exp': expiresAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async putPending(pending: PendingPublication, expiresAt: number): Promise<void> {
    await this.#client.send(
      new PutCommand({ TableName: this.#table, Item: { pk: pendingPk(pending.outOfSampleJobId), sk: 'PENDING', pendingJson: JSON.stringify(pending), expiresAt } }),
    );
  }

  async getPending(outOfSampleJobId: string): Promise<PendingPublication | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { pk: pendingPk(outOfSampleJobId), sk: 'PENDING' }, ConsistentRead: true }));
    return typeof Item?.pendingJson === 'string' ? (JSON.parse(Item.pendingJson) as PendingPublication) : undefined;
  }

  async deletePending(outOfSampleJobId: string): Promise<void> {
    await this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { pk: pendingPk(outOfSampleJobId), sk: 'PENDING' } }));
  }

  async ownerEntry(board: string, ownerKey: string): Promise<LeaderboardEntry | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { pk: boardPk(board), sk: ownerSk(ownerKey) }, ConsistentRead: true }));
    return typeof Item?.entryId === 'string' ? this.getEntry(board, Item.entryId) : undefined;
  }

  async replaceOwnerEntry(ownerKey: string, expected: string | undefined, entry: LeaderboardEntry): Promise<boolean> {
    const pk = boardPk(entry.board);
    const owner =
      expected === undefined
        ? { Put: { TableName: this.#table, Item: { pk, sk: ownerSk(ownerKey), entryId: entry.entryId }, ConditionExpression: 'attribute_not_exists(pk)' } }
        : {
            Update: {
              TableName: this.#table,
              Key: { pk, sk: ownerSk(ownerKey) },
              UpdateExpression: 'SET entryId = :next',
              ConditionExpression: 'entryId = :expected',
              ExpressionAttributeValues: { ':next': entry.entryId, ':expected': expected },
            },
          };
    try {
      await this.#client.send(
        new TransactWriteCommand({
          TransactItems: [
            owner,
            { Put: { TableName: this.#table, Item: entryItem(entry, ownerKey), ConditionExpression: 'attribute_not_exists(pk)' } },
            ...(expected !== undefined ? [{ Delete: { TableName: this.#table, Key: { pk, sk: entrySk(expected) } } }] : []),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async removeOwnerEntry(board: string, ownerKey: string): Promise<boolean> {
    const pk = boardPk(board);
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { pk, sk: ownerSk(ownerKey) }, ConsistentRead: true }));
    if (typeof Item?.entryId !== 'string') return false;
    try {
      await this.#client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: this.#table, Key: { pk, sk: ownerSk(ownerKey) }, ConditionExpression: 'entryId = :id', ExpressionAttributeValues: { ':id': Item.entryId } } },
            { Delete: { TableName: this.#table, Key: { pk, sk: entrySk(Item.entryId) } } },
          ],
        }),
      );
      return true;
    } catch (error) {
      // A publish replaced the entry meanwhile: remove that one instead.
      if (isConditionFailure(error)) return this.removeOwnerEntry(board, ownerKey);
      throw error;
    }
  }

  async getEntry(board: string, entryId: string): Promise<LeaderboardEntry | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { pk: boardPk(board), sk: entrySk(entryId) } }));
    return typeof Item?.entryJson === 'string' ? (JSON.parse(Item.entryJson) as LeaderboardEntry) : undefined;
  }

  async rank(board: string, metric: RankMetric, limit: number, afterKey?: string): Promise<RankedPage> {
    const { attribute, index } = RANK_METRICS[metric];
    const { Items = [] } = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: index,
        KeyConditionExpression: afterKey === undefined ? 'board = :board' : 'board = :board AND #rank > :after',
        ExpressionAttributeNames: afterKey === undefined ? undefined : { '#rank': attribute },
        ExpressionAttributeValues: { ':board': board, ...(afterKey === undefined ? {} : { ':after': afterKey }) },
        Limit: limit,
      }),
    );
    const entries = Items.map((item) => JSON.parse(item.entryJson as string) as LeaderboardEntry);
    const last = Items.at(-1);
    return { entries, ...(Items.length === limit && last ? { lastKey: last[attribute] as string } : {}) };
  }
}

function entryItem(entry: LeaderboardEntry, ownerKey: string): Record<string, unknown> {
  const ranks = Object.fromEntries(RANK_METRIC_NAMES.map((m) => [RANK_METRICS[m].attribute, rankKey(rankValue(entry, m), entry.publishedAt, entry.entryId)]));
  return { pk: boardPk(entry.board), sk: entrySk(entry.entryId), board: entry.board, ownerKey, entryJson: JSON.stringify(entry), ...ranks };
}
