import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../core/errors.ts';
import type { AccountState, AccountStore } from '../core/ports/account-store.ts';

export interface DynamoDbAccountStoreProps {
  client: DynamoDBDocumentClient;
  /** Users table (USERS_TABLE in table-schema.ts): `USER#<id>` / `PROFILE` holds credits, `DAY#<day>` the daily count. */
  usersTable: string;
}

/** Races a clawback can lose to concurrent submits before giving up (each round is two conditional writes). */
const ADJUST_ROUNDS = 5;

/**
 * Accounts in the Users table, the same items the job repository debits and refunds in its transactions, so a
 * grant and a submit never overwrite each other: every write is an atomic ADD or a conditional SET.
 */
export class DynamoDbAccountStore implements AccountStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: DynamoDbAccountStoreProps) {
    this.#client = props.client;
    this.#table = props.usersTable;
  }

  async get(userId: string, day: string): Promise<AccountState> {
    const [profile, counter] = await Promise.all([this.#item(userId, 'PROFILE'), this.#item(userId, `DAY#${day}`)]);
    return {
      credits: typeof profile?.credits === 'number' ? profile.credits : undefined,
      submissions: typeof counter?.count === 'number' ? counter.count : 0,
    };
  }

  async adjustCredits(userId: string, amount: number, initialCredits: number, now: string): Promise<number> {
    const key = { pk: `USER#${userId}`, sk: 'PROFILE' };
    if (amount >= 0) {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: 'SET credits = if_not_exists(credits, :initial) + :amount, updatedAt = :now',
          ExpressionAttributeValues: { ':initial': initialCredits, ':amount': amount, ':now': now },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.credits);
    }
    const owed = -amount;
    for (let round = 0; round < ADJUST_ROUNDS; round++) {
      // Enough credits: take the amount. Not enough: take everything (0). Each write checks which case it is in.
      const enough = await this.#update({
        TableName: this.#table,
        Key: key,
        UpdateExpression: 'SET credits = if_not_exists(credits, :initial) - :owed, updatedAt = :now',
        ConditionExpression: initialCredits >= owed ? 'attribute_not_exists(credits) OR credits >= :owed' : 'credits >= :owed',
        ExpressionAttributeValues: { ':initial': initialCredits, ':owed': owed, ':now': now },
        ReturnValues: 'UPDATED_NEW',
      });
      if (enough !== undefined) return enough;
      const drained = await this.#update({
        TableName: this.#table,
        Key: key,
        UpdateExpression: 'SET credits = :zero, updatedAt = :now',
        ConditionExpression: initialCredits >= owed ? 'credits < :owed' : 'attribute_not_exists(credits) OR credits < :owed',
        ExpressionAttributeValues: { ':zero': 0, ':owed': owed, ':now': now },
        ReturnValues: 'UPDATED_NEW',
      });
      if (drained !== undefined) return drained;
    }
    throw new ServiceUnavailableError(`the credits of ${userId} kept changing during the clawback; try again`);
  }

  async #item(userId: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { pk: `USER#${userId}`, sk }, ConsistentRead: true }));
    return Item;
  }

  async #update(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<number | undefined> {
    try {
      const { Attributes } = await this.#client.send(new UpdateCommand(input));
      return Number(Attributes?.credits);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
