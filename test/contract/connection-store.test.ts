import { afterAll, beforeAll, describe } from 'vitest';
import { DynamoDbConnectionStore } from '../../lambdas/adapters/dynamodb-connection-store.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryConnectionStore } from '../support/fakes/in-memory-connection-store.ts';
import { describeConnectionStoreContract } from './connection-store-contract.ts';

describeConnectionStoreContract('InMemoryConnectionStore', async () => new InMemoryConnectionStore());

describe('on the emulators', () => {
  let env: EmulatorEnv;
  beforeAll(async () => {
    env = await freshEmulatorEnv('conn');
  });
  afterAll(() => env?.close());

  describeConnectionStoreContract(
    'DynamoDbConnectionStore on DynamoDB Local',
    async () => new DynamoDbConnectionStore({ client: env.doc, table: env.tables.connections }),
  );
});
