import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../lambdas/adapters/dynamodb-document-client.ts';
import { readLocalTier } from '../lambdas/adapters/dynamodb-user-directory.ts';
import { isTier, type Tier } from '../lambdas/core/tiers.ts';
import { TokenOptionsError } from './keys.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';
import type { StackFile } from './stack-file.ts';

/** The running stack (per its stack file) did not answer the tier lookup: asking for `--tier` beats guessing `free`. */
export class LocalTierLookupError extends Error {
  override name = 'LocalTierLookupError';
}

export interface TokenTier {
  tier: Tier;
  /** `flag`: --tier; `stack`: the running stack's Users table; `default`: no stack, or no tier stored for the user. */
  source: 'flag' | 'stack' | 'default';
}

/**
 * The tier a local token carries. `--tier` wins; else the tier an admin stored for the user in the running stack
 * (`PUT /admin/users/{id}/tier` writes the Users table locally, where Cognito's `custom:tier` would feed the claim on
 * AWS); else `free`, as a user no one has changed starts.
 */
export async function resolveTokenTier(options: { userId: string; tier?: string; stack: StackFile | undefined; timeoutMs?: number }): Promise<TokenTier> {
  if (options.tier !== undefined) {
    if (!isTier(options.tier)) throw new TokenOptionsError(`--tier must be free, basic or pro, got ${options.tier}`);
    return { tier: options.tier, source: 'flag' };
  }
  const { stack } = options;
  if (stack === undefined) return { tier: 'free', source: 'default' };
  const usersTable = stack.usersTable ?? stack.env.USERS_TABLE;
  const timeoutMs = options.timeoutMs ?? 3000;
  const client = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
  try {
    const stored = await readLocalTier(documentClient(client), usersTable, options.userId);
    return stored === undefined ? { tier: 'free', source: 'default' } : { tier: stored, source: 'stack' };
  } catch (error) {
    throw new LocalTierLookupError(
      `could not read the tier of ${options.userId} from the running stack (DynamoDB ${stack.dynamodbEndpoint}, table ${usersTable}): ${(error as Error).message}; pass --tier`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
