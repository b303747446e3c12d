import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UserDirectory } from '../core/ports/user-directory.ts';
import { isTier, type Tier } from '../core/tiers.ts';

export interface DynamoDbUserDirectoryProps {
  client: DynamoDBDocumentClient;
  /** Users table: the tier is the `tier` attribute of `USER#<id>` / `PROFILE`. */
  usersTable: string;
}

/**
 * The local stack's user directory: the tier lives in the Users table profile, where the local token CLI reads it
 * when `--tier` is omitted. Requests never read it: their tier comes from the token, as on AWS.
 */
export class DynamoDbUserDirectory implements UserDirectory {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: DynamoDbUserDirectoryProps) {
    this.#client = props.client;
    this.#table = props.usersTable;
  }

  async getTier(userId: string): Promise<Tier | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ProjectionExpression: 'tier', ConsistentRead: true }),
    );
    return isTier(Item?.tier) ? Item.tier : undefined;
  }

  async setTier(userId: string, tier: Tier): Promise<void> {
    // Only the tier attribute: credits on the same item belong to the job repository's transactions.
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: `USER#${userId}`, sk: 'PROFILE' },
        UpdateExpression: 'SET tier = :tier',
        ExpressionAttributeValues: { ':tier': tier },
      }),
    );
  }
}

/** Reads a user's tier from the Users table directly: for the local token CLI, which has no adapter wiring. */
export async function readLocalTier(client: DynamoDBDocumentClient, usersTable: string, userId: string): Promise<Tier | undefined> {
  return new DynamoDbUserDirectory({ client, usersTable }).getTier(userId);
}
