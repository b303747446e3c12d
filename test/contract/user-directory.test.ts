import {
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  TooManyRequestsException,
  UserNotFoundException,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CognitoUserDirectory } from '../../lambdas/adapters/cognito-user-directory.ts';
import { NotFoundError } from '../../lambdas/core/errors.ts';
import type { UserDirectory } from '../../lambdas/core/ports/user-directory.ts';
import { InMemoryUserDirectory } from '../support/fakes/index.ts';

// The Cognito user directory holds every user's tier in the default deploy. It is tested against a pool simulated
// behind aws-sdk-client-mock (users addressed by `sub`, signed in by email, so the username differs), and the
// in-memory directory the handler tests use passes the same contract.

interface DirectoryUnderTest {
  directory: UserDirectory;
  /** Adds a user the directory knows, without a tier. */
  addUser(userId: string): void;
}

function describeUserDirectoryContract(name: string, make: () => DirectoryUnderTest) {
  describe(name, () => {
    it('has no tier for a known user until one is set, then the one set last', async () => {
      const { directory, addUser } = make();
      addUser('a1b2c3d4-0000-4000-8000-000000000001');

      const before = await directory.getTier('a1b2c3d4-0000-4000-8000-000000000001');
      await directory.setTier('a1b2c3d4-0000-4000-8000-000000000001', 'basic');
      await directory.setTier('a1b2c3d4-0000-4000-8000-000000000001', 'pro');

      expect(before).toBeUndefined();
      expect(await directory.getTier('a1b2c3d4-0000-4000-8000-000000000001')).toBe('pro');
    });

    it('refuses to set the tier of a user it does not know, with NotFoundError, and creates nobody', async () => {
      const { directory } = make();

      await expect(directory.setTier('nobody-here', 'pro')).rejects.toBeInstanceOf(NotFoundError);
      expect(await directory.getTier('nobody-here')).toBeUndefined();
    });

    it('keeps users apart', async () => {
      const { directory, addUser } = make();
      addUser('user-one');
      addUser('user-two');

      await directory.setTier('user-one', 'pro');

      expect(await directory.getTier('user-two')).toBeUndefined();
    });
  });
}

describeUserDirectoryContract('InMemoryUserDirectory (knownUsers set, as the handler tests use it)', () => {
  const directory = new InMemoryUserDirectory();
  directory.knownUsers = new Set();
  return { directory, addUser: (userId) => directory.knownUsers!.add(userId) };
});

const POOL = 'eu-west-1_TestPool';
const cognito = mockClient(CognitoIdentityProviderClient);

/** A user pool as Cognito answers: ListUsers by a `sub = "..."` filter, attribute updates by username. */
function simulatedPool(): { users: UserType[]; addUser(sub: string): void } {
  const users: UserType[] = [];
  cognito.on(ListUsersCommand).callsFake((input: ListUsersCommand['input']) => {
    if (input.UserPoolId !== POOL) throw new Error(`unexpected pool ${input.UserPoolId}`);
    const match = /^sub = "([^"\\]*)"$/.exec(input.Filter ?? '');
    if (!match) throw new Error(`unexpected filter ${input.Filter}`);
    return { Users: users.filter((u) => u.Attributes?.some((a) => a.Name === 'sub' && a.Value === match[1])).slice(0, input.Limit ?? 60) };
  });
  cognito.on(AdminUpdateUserAttributesCommand).callsFake((input: AdminUpdateUserAttributesCommand['input']) => {
    const user = users.find((u) => u.Username === input.Username);
    if (!user) throw new UserNotFoundException({ message: 'User does not exist.', $metadata: {} });
    for (const attribute of input.UserAttributes ?? []) {
      user.Attributes = [...(user.Attributes ?? []).filter((a) => a.Name !== attribute.Name), attribute];
    }
    return {};
  });
  return {
    users,
    addUser: (sub) => users.push({ Username: `${sub}@example.com`, Attributes: [{ Name: 'sub', Value: sub }, { Name: 'email', Value: `${sub}@example.com` }] }),
  };
}

describe('CognitoUserDirectory', () => {
  beforeEach(() => cognito.reset());
  afterEach(() => cognito.reset());
  const directory = () => new CognitoUserDirectory({ client: new CognitoIdentityProviderClient({ region: 'eu-west-1' }), userPoolId: POOL });

  describeUserDirectoryContract('on a simulated user pool', () => {
    const pool = simulatedPool();
    return { directory: directory(), addUser: pool.addUser };
  });

  it('finds the user by sub and writes custom:tier under their username (sign-in by email)', async () => {
    const pool = simulatedPool();
    pool.addUser('sub-123');

    await directory().setTier('sub-123', 'basic');

    expect(cognito.commandCalls(ListUsersCommand).map((c) => c.args[0].input)).toEqual([{ UserPoolId: POOL, Filter: 'sub = "sub-123"', Limit: 1 }]);
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand).map((c) => c.args[0].input)).toEqual([
      { UserPoolId: POOL, Username: 'sub-123@example.com', UserAttributes: [{ Name: 'custom:tier', Value: 'basic' }] },
    ]);
  });

  it('reads a tier attribute that is not a tier as no tier (free)', async () => {
    const pool = simulatedPool();
    pool.addUser('sub-gold');
    pool.users[0].Attributes!.push({ Name: 'custom:tier', Value: 'gold' });

    expect(await directory().getTier('sub-gold')).toBeUndefined();
  });

  it('never puts an id that could break out of the filter quotes into a request', async () => {
    simulatedPool();

    const read = await directory().getTier('x" or sub ^= "');
    const write = directory().setTier('back\\slash', 'pro');

    expect(read).toBeUndefined();
    await expect(write).rejects.toBeInstanceOf(NotFoundError);
    expect(cognito.calls()).toHaveLength(0);
  });

  it('maps a user deleted between the lookup and the update to NotFoundError', async () => {
    const pool = simulatedPool();
    pool.addUser('sub-gone');
    cognito.on(AdminUpdateUserAttributesCommand).rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));

    await expect(directory().setTier('sub-gone', 'pro')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lets other Cognito errors through unchanged (throttling is not "no such user")', async () => {
    const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
    cognito.on(ListUsersCommand).rejects(throttled);

    await expect(directory().getTier('sub-1')).rejects.toBe(throttled);
    await expect(directory().setTier('sub-1', 'pro')).rejects.toBe(throttled);
  });
});
