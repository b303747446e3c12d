import { AdminListGroupsForUserCommand, ListUsersCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { AdminDirectory } from '../core/ports/admin-directory.ts';

export interface CognitoAdminDirectoryProps {
  client: CognitoIdentityProviderClient;
  userPoolId: string;
  /** The group whose members are administrators (lib/constructs/auth.ts ADMIN_GROUP). @default 'admin' */
  group?: string;
}

/**
 * Administrators are the enabled members of the pool's admin group. Users are addressed by `sub` (ListUsers), then
 * their groups are listed (AdminListGroupsForUser). Needs `cognito-idp:ListUsers` and
 * `cognito-idp:AdminListGroupsForUser` on the pool.
 */
export class CognitoAdminDirectory implements AdminDirectory {
  readonly #client: CognitoIdentityProviderClient;
  readonly #pool: string;
  readonly #group: string;

  constructor(props: CognitoAdminDirectoryProps) {
    this.#client = props.client;
    this.#pool = props.userPoolId;
    this.#group = props.group ?? 'admin';
  }

  async isAdmin(userId: string): Promise<boolean> {
    if (/["\\]/.test(userId)) return false;
    const { Users } = await this.#client.send(new ListUsersCommand({ UserPoolId: this.#pool, Filter: `sub = "${userId}"`, Limit: 1 }));
    const user = Users?.[0];
    if (!user?.Username || user.Enabled === false) return false;
    let token: string | undefined;
    do {
      const page = await this.#client.send(new AdminListGroupsForUserCommand({ UserPoolId: this.#pool, Username: user.Username, NextToken: token }));
      if ((page.Groups ?? []).some((g) => g.GroupName === this.#group)) return true;
      token = page.NextToken;
    } while (token);
    return false;
  }
}
