import { beforeAll, describe, expect, it } from 'vitest';
import { LEADERBOARD_TABLE } from '../../lambdas/adapters/table-schema.ts';
import { LEADERBOARD_STREAM_SETTINGS } from '../../lib/definitions/leaderboard-stream-settings.ts';
import { defaultApp } from './support/default-app.ts';
import type { SynthResult } from './support/synth-app.ts';
import { actionsOfRole, logicalIdAt, mentions, resources, roleOfFunction, statementsOfRole, type CfnResource } from './support/template-queries.ts';

/** Issue 14's infrastructure: the Leaderboard table and its rank indexes, each route's grants on it, the recorder. */
describe('leaderboard infrastructure', () => {
  let synth: SynthResult;
  let tableId: string;
  /** Allow statements of a function's role whose resources name the Leaderboard table. */
  const leaderboardGrants = (fnPath: string) =>
    statementsOfRole(synth.service, roleOfFunction(synth.service, fnPath)).filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes(tableId));
  const actions = (statements: { Action: string | string[] }[]) => [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();

  beforeAll(() => {
    synth = defaultApp();
    tableId = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Leaderboard/');
  });

  it('has a retained, protected table with one index per ranking metric keyed by board and rank key', () => {
    const table = resources(synth.stateful, 'AWS::DynamoDB::Table')[tableId];
    expect((table as CfnResource & { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({ DeletionProtectionEnabled: true, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
    const gsis = table.Properties?.GlobalSecondaryIndexes as { IndexName: string; KeySchema: { AttributeName: string; KeyType: string }[] }[];
    expect(gsis.map((g) => g.IndexName).sort()).toEqual(['byRankCalmar', 'byRankMaxDrawdown', 'byRankReturn', 'byRankSharpe', 'byRankSortino']);
    for (const g of gsis) {
      expect(g.KeySchema[0]).toEqual({ AttributeName: 'board', KeyType: 'HASH' });
      expect(g.KeySchema[1].AttributeName).toBe(`rank${g.IndexName.slice('byRank'.length)}`);
    }
  });

  it('no function may Scan the table; the ranking route may only Query the named rank indexes', () => {
    for (const roleId of Object.keys(resources(synth.service, 'AWS::IAM::Role'))) {
      expect(actionsOfRole(synth.service, roleId).filter((a) => /dynamodb:(Scan|\*)/.test(a)), roleId).toEqual([]);
    }
    const grants = leaderboardGrants('HttpApi/Leaderboard');
    expect(actions(grants)).toEqual(['dynamodb:Query']);
    const resourcesText = JSON.stringify(grants.map((s) => s.Resource));
    for (const index of LEADERBOARD_TABLE.globalSecondaryIndexes) expect(resourcesText).toContain(`/index/${index.indexName}`);
    expect(resourcesText).not.toContain('/index/*');
  });

  it.each([
    ['HttpApi/Publish', ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
    ['HttpApi/Unpublish', ['dynamodb:DeleteItem', 'dynamodb:GetItem']],
    ['HttpApi/CopyEntry', ['dynamodb:GetItem']],
    ['LeaderboardRecorder/Recorder', ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
  ] as const)('%s gets exactly %j on the Leaderboard table', (fnPath, expected) => {
    expect(actions(leaderboardGrants(fnPath))).toEqual([...expected]);
  });

  it('publish and copy submit with the submit route\'s own grants (the tier queues, the Jobs and Users tables)', () => {
    const submit = actions(statementsOfRole(synth.service, roleOfFunction(synth.service, 'HttpApi/Submit')).filter((s) => s.Effect === 'Allow'));
    for (const fnPath of ['HttpApi/Publish', 'HttpApi/CopyEntry']) {
      const mine = actions(statementsOfRole(synth.service, roleOfFunction(synth.service, fnPath)).filter((s) => s.Effect === 'Allow'));
      for (const action of submit) expect(mine, fnPath).toContain(action);
    }
    expect(leaderboardGrants('HttpApi/Leaderboards')).toEqual([]);
  });

  it('the recorder reads the Jobs stream with a filter on final states, bounded retries and a DLQ', () => {
    const recorderId = logicalIdAt(synth.service, 'AWS::Lambda::Function', 'LeaderboardRecorder/Recorder/Function/');
    const mappings = Object.values(resources(synth.service, 'AWS::Lambda::EventSourceMapping')).filter((m: CfnResource) => mentions(m.Properties?.FunctionName, recorderId));
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0];
    const jobsTableId = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Jobs/');
    const dlqId = logicalIdAt(synth.service, 'AWS::SQS::Queue', 'LeaderboardRecorder/FailedRecords/');
    expect(JSON.stringify(mapping.Properties?.EventSourceArn)).toContain(`${jobsTableId}StreamArn`);
    expect(mapping.Properties).toMatchObject({
      StartingPosition: 'LATEST',
      MaximumRetryAttempts: LEADERBOARD_STREAM_SETTINGS.retryAttempts,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
    const filters = (mapping.Properties?.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([LEADERBOARD_STREAM_SETTINGS.filter]);
  });
});
