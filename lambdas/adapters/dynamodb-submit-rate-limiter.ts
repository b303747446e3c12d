import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../core/errors.ts';
import type { SubmitRateLimiter } from '../core/ports/submit-rate-limiter.ts';
import { takeToken, type BucketState, type SubmitRate } from '../core/submit-rate.ts';

export interface DynamoDbSubmitRateLimiterProps {
  client: DynamoDBDocumentClient;
  /** Users table: the bucket is `USER#<id>` / `RATE#submit`, next to the user's other items. */
  usersTable: string;
}

/** Concurrent submits of one user race for the same item; each lost race re-reads and tries again. */
const ROUNDS = 5;
/** A bucket untouched this long is full again for every tier; TTL removes it (it would read as full anyway). */
const BUCKET_TTL_SECONDS = 24 * 3600;

/**
 * The submit token bucket in the Users table: read the state, compute the take in core (takeToken), write it back
 * only if nobody wrote since (a conditional update on `updatedAtMs`), so two API instances never both spend the
 * same token. A denied take writes nothing. One UpdateItem (and one GetItem) per submit: no Put, no Delete.
 */
export class DynamoDbSubmitRateLimiter implements SubmitRateLimiter {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: DynamoDbSubmitRateLimiterProps) {
    this.#client = props.client;
    this.#table = props.usersTable;
  }

  async take(userId: string, rate: SubmitRate, nowMs: number): Promise<number | undefined> {
    const Key = { pk: `USER#${userId}`, sk: 'RATE#submit' };
    for (let round = 0; round < ROUNDS; round++) {
      const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key, ConsistentRead: true }));
      const state: BucketState | undefined =
        typeof Item?.tokens === 'number' && typeof Item.updatedAtMs === 'number' ? { tokens: Item.tokens, updatedAtMs: Item.updatedAtMs } : undefined;
      const outcome = takeToken(state, rate, nowMs);
      if (!outcome.allowed) return outcome.retryAfterSeconds;
      try {
        await this.#client.send(
          new UpdateCommand({
            TableName: this.#table,
            Key,
            UpdateExpression: 'SET tokens = :tokens, updatedAtMs = :at, expiresAt = :ttl',
            ConditionExpression: state ? 'updatedAtMs = :seen AND tokens = :seenTokens' : 'attribute_not_exists(tokens)',
            ExpressionAttributeValues: {
              ':tokens': outcome.next.tokens,
              ':at': outcome.next.updatedAtMs,
              ':ttl': Math.floor(nowMs / 1000) + BUCKET_TTL_SECONDS,
              ...(state ? { ':seen': state.updatedAtMs, ':seenTokens': state.tokens } : {}),
            },
          }),
        );
        return undefined;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new ServiceUnavailableError('too many submissions at the same moment; try again');
  }
}
