import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe } from 'vitest';
import { DynamoDbJobRepository } from '../../lambdas/adapters/dynamodb-job-repository.ts';
import { freshEmulatorEnv, type EmulatorEnv } from '../support/emulator-env.ts';
import { InMemoryJobRepository } from '../support/fakes/in-memory-job-repository.ts';
import { describeJobRepositoryContract } from './job-repository-contract.ts';

describeJobRepositoryContract('InMemoryJobRepository', async () => {
  const repo = new InMemoryJobRepository();
  return { repo, credits: async (userId) => repo.credits(userId) };
});

describe('on the emulators', () => {
  let env: EmulatorEnv;
  beforeAll(async () => {
    env = await freshEmulatorEnv('jobs');
  });
  afterAll(() => env?.close());

  // One set of tables for the file: every test works with its own user and job ids.
  describeJobRepositoryContract('DynamoDbJobRepository on DynamoDB Local', async () => ({
  repo: new DynamoDbJobRepository({ client: env.doc, jobsTable: env.tables.jobs, usersTable: env.tables.users }),
  credits: async (userId) => {
    const { Item } = await env.doc.send(
      new GetCommand({ TableName: env.tables.users, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ConsistentRead: true }),
    );
    return Item?.credits as number | undefined;
  },
  }));
});
