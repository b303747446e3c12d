import { afterAll, beforeAll, describe } from 'vitest';
import { DynamoDbLeaderboardStore } from '../../lambdas/adapters/dynamodb-leaderboard-store.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryLeaderboardStore } from '../support/fakes/in-memory-leaderboard-store.ts';
import { describeLeaderboardStoreContract } from './leaderboard-store-contract.ts';

describeLeaderboardStoreContract('InMemoryLeaderboardStore', async () => new InMemoryLeaderboardStore());

describe('on the emulators', () => {
  let env: EmulatorEnv;
  beforeAll(async () => {
    env = await freshEmulatorEnv('lboard');
  });
  afterAll(() => env?.close());

  describeLeaderboardStoreContract('DynamoDbLeaderboardStore on DynamoDB Local', async () => new DynamoDbLeaderboardStore({ client: env.doc, table: env.tables.leaderboard }));
});
