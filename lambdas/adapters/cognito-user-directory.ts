import {
  AdminUpdateUserAttributesCommand,
  ListUsersCommand,
  UserNotFoundException,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { NotFoundError } from '../core/errors.ts';
import type { UserDirectory } from '../core/ports/user-directory.ts';
import { isTier, type Tier } from '../core/tiers.ts';

export interface CognitoUserDirectoryProps {
  client: CognitoIdentityProviderClient;
  /** USER_POOL_ID */
  userPoolId: string;
}

/** The attribute the pre-token-generation trigger copies into the `tier` claim (lib/constructs/auth.ts). */
const TIER_ATTRIBUTE = 'custom:tier';

/**
 * Tiers in a Cognito user pool's `custom:tier` attribute. Users are addressed by `sub` (the token's user id),
 * which is not always the Cognito username (sign-in by email), so the username is looked up with ListUsers first.
 * Needs `cognito-idp:ListUsers` and `cognito-idp:AdminUpdateUserAttributes` on the pool.
 */
export class CognitoUserDirectory implements UserDirectory {
  readonly #client: CognitoIdentityProviderClient;
  readonly #pool: string;

  constructor(props: CognitoUserDirectoryProps) {
    this.#client = props.client;
    this.#pool = props.userPoolId;
  }

  async getTier(userId: string): Promise<Tier | undefined> {
    const user = await this.#find(userId);
    const raw = user?.Attributes?.find((a) => a.Name === TIER_ATTRIBUTE)?.Value;
    return isTier(raw) ? raw : undefined;
  }

  async setTier(userId: string, tier: Tier): Promise<void> {
    const user = await this.#find(userId);
    if (!user?.Username) throw new NotFoundError(`No user ${userId} in the user pool`);
    try {
      await this.#client.send(
        new AdminUpdateUserAttributesCommand({ UserPoolId: this.#pool, Username: user.Username, UserAttributes: [{ Name: TIER_ATTRIBUTE, Value: tier }] }),
      );
    } catch (error) {
      if (error instanceof UserNotFoundException) throw new NotFoundError(`No user ${userId} in the user pool`);
      throw error;
    }
  }

  async #find(userId: string) {
    // The filter is a quoted string: an id that could break out of the quotes names no Cognito user anyway.
    if (/["\\]/.test(userId)) return undefined;
    const { Users } = await this.#client.send(new ListUsersCommand({ UserPoolId: this.#pool, Filter: `sub = "${userId}"`, Limit: 1 }));
    return Users?.[0];
  }
}
