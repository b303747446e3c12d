import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../core/errors.ts';
import type { AccountState, AccountStore, LedgerPage } from '../core/ports/account-store.ts';
import type { Tier } from '../core/tiers.ts';
import { ledgerEntryItem, openingEntryItem, queryLedger } from './dynamodb-ledger.ts';

export interface DynamoDbAccountStoreProps {
  client: DynamoDBDocumentClient;
  /** Users table (USERS_TABLE in table-schema.ts): `USER#<id>` / `PROFILE` holds credits, `DAY#<day>` the daily count. */
  usersTable: string;
}

/** Races an adjustment can lose to concurrent submits before giving up (each round is a read and a transaction). */
const ADJUST_ROUNDS = 5;

/**
 * Accounts in the Users table, the same items the job repository debits and refunds in its transactions. An
 * adjustment reads the balance, then writes the new balance conditional on the one it read, together with its
 * ledger entry: so the entry always says exactly what moved (a clawback that drains the account records what it
 * took), and a grant and a submit never overwrite each other (the loser re-reads and tries again).
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

  async adjustCredits(userId: string, amount: number, initialCredits: number, now: string, actor?: string): Promise<number> {
    const key = { pk: `USER#${userId}`, sk: 'PROFILE' };
    for (let round = 0; round < ADJUST_ROUNDS; round++) {
      const profile = await this.#item(userId, 'PROFILE');
      const seen = typeof profile?.credits === 'number' ? profile.credits : undefined;
      const before = seen ?? initialCredits;
      const after = Math.max(0, before + amount);
      const moved = after - before;
      try {
        await this.#client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.#table,
                  Key: key,
                  UpdateExpression: 'SET credits = :after, updatedAt = :now',
                  ConditionExpression: seen === undefined ? 'attribute_not_exists(credits)' : 'credits = :seen',
                  ExpressionAttributeValues: { ':after': after, ':now': now, ...(seen === undefined ? {} : { ':seen': seen }) },
                },
              },
              // A new account starts from the tier's credits: its opening line comes with it.
              ...(seen === undefined ? [openingEntryItem(this.#table, userId, initialCredits, now)] : []),
              ledgerEntryItem(this.#table, { userId, at: now, kind: amount >= 0 ? 'grant' : 'clawback', amount: moved, ...(actor ? { by: actor } : {}) }),
            ],
          }),
        );
        return after;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        // The balance changed since the read (a submit, a refund, another grant): read again.
      }
    }
    throw new ServiceUnavailableError(`the credits of ${userId} kept changing during the adjustment; try again`);
  }

  async recordTierChange(userId: string, from: Tier, to: Tier, now: string, actor: string): Promise<void> {
    await this.#client.send(new TransactWriteCommand({ TransactItems: [ledgerEntryItem(this.#table, { userId, at: now, kind: 'tier', amount: 0, by: actor, tierFrom: from, tierTo: to })] }));
  }

  ledger(userId: string, query: { limit: number; cursor?: string }): Promise<LedgerPage> {
    return queryLedger(this.#client, this.#table, userId, query);
  }

  async #item(userId: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { pk: `USER#${userId}`, sk }, ConsistentRead: true }));
    return Item;
  }
}
