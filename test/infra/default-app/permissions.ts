import { beforeAll, describe, expect, it } from 'vitest';
import { TIERS, type Tier } from '../../../lambdas/core/tiers.ts';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { actionsOfRole, cdkPath, logicalIdAt, mentions, resources, roleOfFunction, statementsGranting, statementsOfRole, type CfnResource } from '../support/template-queries.ts';

const cap = (tier: Tier): string => tier[0].toUpperCase() + tier.slice(1);
const ADMIN_USER_FUNCTIONS = ['HttpApi/AdminUser', 'HttpApi/AdminCredits', 'HttpApi/AdminTier'];
const RESULT_FUNCTIONS = ['HttpApi/JobEquity', 'HttpApi/JobTrades', 'HttpApi/JobSweep'];
/** Routes whose code is compiled in: the strategies table and the OpenAPI document. */
const NO_AWS_FUNCTIONS = ['HttpApi/Strategies', 'HttpApi/Openapi'];
const API_FUNCTIONS = [
  'HttpApi/Submit', 'HttpApi/GetJob', 'HttpApi/ListJobs', 'HttpApi/CancelJob', 'HttpApi/AdminQueues', ...ADMIN_USER_FUNCTIONS,
  'HttpApi/Me', 'HttpApi/Symbols', ...RESULT_FUNCTIONS, ...NO_AWS_FUNCTIONS,
];
/** Logical ids of the stateful stack's resources appear in the service stack inside the names of its imports. */
const importsOf = (value: unknown, logicalId: string): boolean => JSON.stringify(value).includes(logicalId);

export function describePermissions(): void {
  describe('who may do what (least privilege)', () => {
    let synth: SynthResult;
    const queueId = (tier: Tier, kind: 'Queue' | 'Dlq') => logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${cap(tier)}${kind}/`);
    const env = (fnPath: string): Record<string, unknown> => {
      const fn = resources(synth.service, 'AWS::Lambda::Function')[logicalIdAt(synth.service, 'AWS::Lambda::Function', `${fnPath}/Function/`)];
      return (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    };

    const dynamoStatements = (roleId: string) =>
      statementsOfRole(synth.service, roleId).filter((s) => s.Effect === 'Allow' && [s.Action].flat().some((a) => a.startsWith('dynamodb:')));

    /** Construct paths of the service stack's functions relative to the stack, e.g. `HttpApi/Submit`. */
    const functionPaths = (): string[] =>
      Object.values(resources(synth.service, 'AWS::Lambda::Function'))
        .map((fn) => cdkPath(fn))
        // CDK's BucketDeployment helper (web hosting) is not one of our BacktestFunctions; its grants are checked in hardening.test.ts.
        .filter((path) => !path.includes('/Custom::CDKBucketDeployment'))
        .map((path) => path.replace(/^[^/]+\//, '').replace(/\/Function\/Resource$/, ''));

    beforeAll(() => {
      synth = defaultApp();
    });

    it.each(TIERS)('the %s worker cannot post to WebSocket connections', (tier) => {
      const role = roleOfFunction(synth.service, `Workers/${cap(tier)}`);

      expect(statementsGranting(synth.service, role, 'execute-api:ManageConnections')).toEqual([]);
      expect(statementsGranting(synth.service, role, 'execute-api:Invoke')).toEqual([]);
    });

    it.each(TIERS)('the %s worker may change message visibility on its own queue only', (tier) => {
      const role = roleOfFunction(synth.service, `Workers/${cap(tier)}`);
      const grants = statementsGranting(synth.service, role, 'sqs:ChangeMessageVisibility');

      expect(grants).toHaveLength(1);
      expect(grants[0].Resource).toEqual({ 'Fn::GetAtt': [queueId(tier, 'Queue'), 'Arn'] });
      for (const other of TIERS.filter((t) => t !== tier)) {
        expect(mentions(statementsGranting(synth.service, role, 'sqs:ReceiveMessage'), queueId(other, 'Queue'))).toBe(false);
      }
    });

    it.each([...API_FUNCTIONS, 'StuckJobSweeper/Sweeper'])('%s cannot receive (read) messages from any queue, DLQs included', (fnPath) => {
      const role = roleOfFunction(synth.service, fnPath);

      expect(statementsGranting(synth.service, role, 'sqs:ReceiveMessage')).toEqual([]);
      expect(statementsGranting(synth.service, role, 'sqs:DeleteMessage')).toEqual([]);
    });

    it('admin-queues gets only GetQueueAttributes on the tier queues and their DLQs', () => {
      const role = roleOfFunction(synth.service, 'HttpApi/AdminQueues');
      const sqsActions = actionsOfRole(synth.service, role).filter((a) => a.startsWith('sqs:'));
      const attributeGrants = statementsGranting(synth.service, role, 'sqs:GetQueueAttributes');

      expect(new Set(sqsActions)).toEqual(new Set(['sqs:GetQueueAttributes']));
      for (const tier of TIERS) {
        expect(mentions(attributeGrants, queueId(tier, 'Queue')), `${tier} queue`).toBe(true);
        expect(mentions(attributeGrants, queueId(tier, 'Dlq')), `${tier} DLQ`).toBe(true);
        expect(env('HttpApi/AdminQueues')[`DLQ_URL_${tier.toUpperCase()}`]).toEqual({ Ref: queueId(tier, 'Dlq') });
      }
    });

    it.each(TIERS)('the %s worker may send (a fanned-out sweep\'s chunk messages) to its own tier queue only', (tier) => {
      const role = roleOfFunction(synth.service, `Workers/${cap(tier)}`);
      const sends = statementsGranting(synth.service, role, 'sqs:SendMessage');
      expect(mentions(sends, queueId(tier, 'Queue'))).toBe(true);
      for (const other of TIERS.filter((t) => t !== tier)) expect(mentions(sends, queueId(other, 'Queue'))).toBe(false);
      for (const any of TIERS) expect(mentions(sends, queueId(any, 'Dlq'))).toBe(false);
    });

    it.each(TIERS)('the %s worker may Put only chunk partials on Jobs (keys like *#chunk#*), never a job, and BatchGet them back', (tier) => {
      const role = roleOfFunction(synth.service, `Workers/${cap(tier)}`);
      const puts = statementsGranting(synth.service, role, 'dynamodb:PutItem');
      expect(puts.length).toBeGreaterThan(0);
      for (const put of puts) expect((put as { Condition?: unknown }).Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['*#chunk#*'] } });
      expect(statementsGranting(synth.service, role, 'dynamodb:BatchGetItem').length).toBeGreaterThan(0);
    });

    it('only submit and the stuck-job sweeper (and each worker, to its own queue) may send to the tier queues, each to all three and nothing more on SQS', () => {
      const senders = functionPaths().filter(
        (path) =>
          !path.startsWith('Workers/') &&
          statementsGranting(synth.service, roleOfFunction(synth.service, path), 'sqs:SendMessage').some((s) => TIERS.some((t) => mentions(s, queueId(t, 'Queue')))),
      );

      // Publish and copy submit jobs through the submit use case, with its grants (docs/leaderboard.md).
      expect(senders.sort()).toEqual(['HttpApi/CopyEntry', 'HttpApi/Publish', 'HttpApi/Submit', 'StuckJobSweeper/Sweeper']);
      for (const sender of senders) {
        const role = roleOfFunction(synth.service, sender);
        const sends = statementsGranting(synth.service, role, 'sqs:SendMessage');
        expect(new Set(actionsOfRole(synth.service, role).filter((a) => a.startsWith('sqs:'))), sender).toEqual(new Set(['sqs:SendMessage']));
        for (const tier of TIERS) {
          expect(mentions(sends, queueId(tier, 'Queue')), `${sender} → ${tier} queue`).toBe(true);
          expect(mentions(sends, queueId(tier, 'Dlq')), `${sender} → ${tier} DLQ`).toBe(false);
          expect(env(sender)[`QUEUE_URL_${tier.toUpperCase()}`]).toEqual({ Ref: queueId(tier, 'Queue') });
        }
      }
    });

    it('the sweeper gets exactly what its job repository calls: GetItem and UpdateItem on Jobs, Query on byQueueState, UpdateItem (refund) on Users', () => {
      const jobsId = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Jobs/');
      const usersId = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Users/');
      const grants = dynamoStatements(roleOfFunction(synth.service, 'StuckJobSweeper/Sweeper')).map((s) => ({
        actions: [s.Action].flat().sort(),
        resource: JSON.stringify(s.Resource),
      }));
      const on = (tableId: string, suffix = '') => expect.stringMatching(new RegExp(`${tableId}Arn\\w*"}${suffix ? `,"${suffix}"\\]\\]}` : ''}$`));

      expect(grants).toHaveLength(3);
      expect(grants).toEqual(
        expect.arrayContaining([
          { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: on(jobsId) },
          { actions: ['dynamodb:Query'], resource: on(jobsId, '/index/byQueueState') },
          { actions: ['dynamodb:UpdateItem'], resource: on(usersId) },
        ]),
      );
    });

    it('the notifier only reads Jobs, for the queue refresh: GetItem on the table, Query on byQueueState; nothing on Users', () => {
      const jobsId = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Jobs/');
      const usersId = logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', 'Tables/Users/');
      const grants = dynamoStatements(roleOfFunction(synth.service, 'ProgressStream/Notifier'))
        // The stream read (GetRecords and friends, from the event source) is not the repository's.
        .filter((s) => [s.Action].flat().every((a) => !/Stream|Records|ShardIterator/.test(a)))
        .filter((s) => JSON.stringify(s.Resource).includes(jobsId) || JSON.stringify(s.Resource).includes(usersId))
        .map((s) => ({ actions: [s.Action].flat().sort(), resource: JSON.stringify(s.Resource) }));
      const on = (tableId: string, suffix = '') => expect.stringMatching(new RegExp(`${tableId}Arn\\w*"}${suffix ? `,"${suffix}"\\]\\]}` : ''}$`));

      expect(grants).toHaveLength(2);
      expect(grants).toEqual(
        expect.arrayContaining([
          { actions: ['dynamodb:GetItem'], resource: on(jobsId) },
          { actions: ['dynamodb:Query'], resource: on(jobsId, '/index/byQueueState') },
        ]),
      );
    });

    it('only the tier route may change Cognito user attributes, and only on the backtest user pool', () => {
      const poolId = logicalIdAt(synth.stateful, 'AWS::Cognito::UserPool', 'Auth/UserPool/');
      const writers = functionPaths().filter((path) => statementsGranting(synth.service, roleOfFunction(synth.service, path), 'cognito-idp:AdminUpdateUserAttributes').length > 0);
      const statefulWriters = Object.keys(resources(synth.stateful, 'AWS::IAM::Role')).filter(
        (roleId) => statementsGranting(synth.stateful, roleId, 'cognito-idp:AdminUpdateUserAttributes').length > 0,
      );

      expect(writers).toEqual(['HttpApi/AdminTier']);
      expect(statefulWriters).toEqual([]);
      const grants = statementsGranting(synth.service, roleOfFunction(synth.service, 'HttpApi/AdminTier'), 'cognito-idp:AdminUpdateUserAttributes');
      expect(grants.every((s) => importsOf(s.Resource, poolId))).toBe(true);
    });

    it.each(ADMIN_USER_FUNCTIONS)('%s may look users up by sub (ListUsers) and confirm admins (AdminListGroupsForUser) on the pool it is told about, and on nothing else in Cognito', (fnPath) => {
      const role = roleOfFunction(synth.service, fnPath);
      const poolId = logicalIdAt(synth.stateful, 'AWS::Cognito::UserPool', 'Auth/UserPool/');
      const cognito = actionsOfRole(synth.service, role).filter((a) => a.startsWith('cognito-idp:'));
      const confirm = ['cognito-idp:ListUsers', 'cognito-idp:AdminListGroupsForUser'];

      expect(new Set(cognito)).toEqual(new Set(fnPath === 'HttpApi/AdminTier' ? [...confirm, 'cognito-idp:AdminUpdateUserAttributes'] : confirm));
      expect(statementsGranting(synth.service, role, 'cognito-idp:AdminListGroupsForUser').every((s) => importsOf(s.Resource, poolId))).toBe(true);
      expect(importsOf(env(fnPath).ADMIN_USER_POOL_ID, poolId)).toBe(true);
      expect(statementsGranting(synth.service, role, 'cognito-idp:ListUsers').every((s) => importsOf(s.Resource, poolId))).toBe(true);
      expect(env(fnPath)).toMatchObject({ USER_DIRECTORY: 'cognito' });
      expect(importsOf(env(fnPath).USER_POOL_ID, poolId)).toBe(true);
    });

    it.each([
      ['HttpApi/AdminUser', ['dynamodb:GetItem']],
      // Read the balance, then one transaction: the new balance and its ledger entry, both conditional updates.
      ['HttpApi/AdminCredits', ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
      // The tier change's ledger entry.
      ['HttpApi/AdminTier', ['dynamodb:UpdateItem']],
      ['HttpApi/AdminUserLedger', ['dynamodb:Query']],
      ['HttpApi/MyLedger', ['dynamodb:Query']],
    ] as const)('%s gets exactly %j on the Users table and nothing on Jobs or Connections', (fnPath, expected) => {
      const dynamo = dynamoStatements(roleOfFunction(synth.service, fnPath));

      expect(dynamo.flatMap((s) => [s.Action].flat()).sort()).toEqual([...expected]);
      const tableId = (id: string) => logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', `Tables/${id}/`);
      for (const statement of dynamo) {
        expect(importsOf(statement.Resource, tableId('Users'))).toBe(true);
        expect(importsOf(statement.Resource, tableId('Jobs')) || importsOf(statement.Resource, tableId('Connections'))).toBe(false);
      }
      expect(env(fnPath).USERS_TABLE).toBeDefined();
    });

    it('the read-only routes cannot write jobs', () => {
      for (const fnPath of ['HttpApi/GetJob', 'HttpApi/ListJobs', 'HttpApi/AdminQueues', 'WebSocketApi/Message', ...ADMIN_USER_FUNCTIONS, 'HttpApi/Me', ...RESULT_FUNCTIONS]) {
        const role = roleOfFunction(synth.service, fnPath);
        const jobsGrants = statementsGranting(synth.service, role, 'dynamodb:PutItem').concat(statementsGranting(synth.service, role, 'dynamodb:UpdateItem'));

        expect(jobsGrants.filter((s) => JSON.stringify(s.Resource).includes('TablesJobs')), fnPath).toEqual([]);
      }
    });

    it('list-jobs may query the byUser index (named, not index/*)', () => {
      const role = roleOfFunction(synth.service, 'HttpApi/ListJobs');
      const resourcesOfQuery = JSON.stringify(statementsGranting(synth.service, role, 'dynamodb:Query').map((s) => s.Resource));

      expect(resourcesOfQuery).toContain('/index/byUser');
      expect(resourcesOfQuery).not.toContain('/index/*');
    });

    it('only the notifier and the message handler may manage WebSocket connections, on this API only', () => {
      const wsApiId = logicalIdAt(synth.service, 'AWS::ApiGatewayV2::Api', 'WebSocketApi/Api/');
      const managers = functionPaths()
        .filter((path) => statementsGranting(synth.service, roleOfFunction(synth.service, path), 'execute-api:ManageConnections').length > 0)
        .sort();

      expect(managers).toEqual(['LeaderboardRecorder/Recorder', 'ProgressStream/Notifier', 'WebSocketApi/Message']);
      for (const path of managers) {
        const grants = statementsGranting(synth.service, roleOfFunction(synth.service, path), 'execute-api:ManageConnections');
        expect(grants.every((s) => mentions(s.Resource, wsApiId) && JSON.stringify(s.Resource).includes('/prod/*/@connections/*'))).toBe(true);
      }
    });

    it('only the workers, submit (its symbol check) and GET /symbols may read market data, and only read it', () => {
      const readers = functionPaths()
        .filter((path) => statementsGranting(synth.service, roleOfFunction(synth.service, path), 's3:GetObject').length > 0)
        .sort();

      // Publish re-runs the winner on the board's in-sample window; copy checks the symbol as submit does.
      expect(readers).toEqual(['HttpApi/CopyEntry', 'HttpApi/Publish', 'HttpApi/Submit', 'HttpApi/Symbols', 'Workers/Basic', 'Workers/Free', 'Workers/Pro']);
      for (const fnPath of readers) {
        const s3 = actionsOfRole(synth.service, roleOfFunction(synth.service, fnPath)).filter((a) => a.startsWith('s3:'));
        expect(s3.sort(), fnPath).toEqual(['s3:GetObject', 's3:ListBucket']);
        expect(env(fnPath).MARKET_DATA_BUCKET, fnPath).toBeDefined();
      }
    });

    it('GET /me may only GetItem on Users; the result routes only read Jobs; strategies and openapi get no AWS permission', () => {
      const tableId = (id: string) => logicalIdAt(synth.stateful, 'AWS::DynamoDB::Table', `Tables/${id}/`);
      const me = dynamoStatements(roleOfFunction(synth.service, 'HttpApi/Me'));
      expect(me.flatMap((s) => [s.Action].flat())).toEqual(['dynamodb:GetItem']);
      expect(me.every((s) => importsOf(s.Resource, tableId('Users')))).toBe(true);

      for (const fnPath of RESULT_FUNCTIONS) {
        const actions = actionsOfRole(synth.service, roleOfFunction(synth.service, fnPath));
        expect(actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite)/.test(a)), fnPath).toEqual([]);
        expect(actions.filter((a) => !a.startsWith('dynamodb:') && !a.startsWith('logs:') && !a.startsWith('xray:')), fnPath).toEqual([]);
      }
      for (const fnPath of NO_AWS_FUNCTIONS) {
        const actions = actionsOfRole(synth.service, roleOfFunction(synth.service, fnPath));
        expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')), fnPath).toEqual([]);
      }
    });

    it('no role has an AWS managed policy or an action wildcard (but CDK\'s own BucketDeployment helper)', () => {
      const ours = (resource: CfnResource): boolean => !cdkPath(resource).includes('/Custom::CDKBucketDeployment');
      for (const [id, role] of Object.entries({ ...resources(synth.service, 'AWS::IAM::Role'), ...resources(synth.stateful, 'AWS::IAM::Role') }).filter(([, r]) => ours(r))) {
        expect(role.Properties?.ManagedPolicyArns, id).toBeUndefined();
      }
      for (const policy of [...Object.values(resources(synth.service, 'AWS::IAM::Policy')), ...Object.values(resources(synth.stateful, 'AWS::IAM::Policy'))].filter(ours)) {
        const actions = (policy.Properties?.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) => s.Action);
        expect(actions.filter((a) => a.includes('*')), cdkPath(policy)).toEqual([]);
      }
    });
  });
}
