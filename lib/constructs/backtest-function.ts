import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IWebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { JOBS_TABLE, CONNECTIONS_TABLE, LEADERBOARD_TABLE, USERS_TABLE, type TableDef } from '../../lambdas/adapters/table-schema.ts';
import { TIERS, type Tier, type TierSettings } from '../../lambdas/core/tiers.ts';
import { tierConcurrencyValue } from '../../lambdas/handlers/shared/env.ts';
import { REPO_ROOT } from '../handler-entries.ts';
import type { JobQueues } from './job-queues.ts';

/**
 * `node:http` for the bundles without the ES import that loads undici (see the file for why). Relative: esbuild
 * resolves an alias from its working directory, the project root both locally and in CDK's Docker bundling.
 */
const NODE_HTTP_SHIM = './lib/bundling/node-http.cjs';
/**
 * The AWS SDK's default credential chain reduced to its environment link, which is the one that answers on Lambda
 * (see the file for why and for what it means elsewhere). Relative for the same reason as NODE_HTTP_SHIM.
 */
const LAMBDA_CREDENTIALS = './lib/bundling/lambda-credentials.ts';

/**
 * What esbuild is told for every function's bundle besides ESM and minify: `npm run bench:cold-start` builds its
 * AWS-SDK-only floor bundles with the same settings (bench/cold-start-floor/build.ts), so the two are comparable.
 */
export const LAMBDA_ESBUILD = {
  target: 'node24',
  mainFields: ['module', 'main'],
  // Some dependencies are CommonJS and call require(); an ESM bundle has no require unless we make one.
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  alias: { 'node:http': NODE_HTTP_SHIM, http: NODE_HTTP_SHIM, '@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS },
} as const;

/** Service name every function reports to Powertools (logs, metrics, traces); the function name tells them apart. */
export const POWERTOOLS_SERVICE_NAME = 'backtest-queue';
/** CloudWatch namespace the Powertools metrics land in. */
export const METRICS_NAMESPACE = 'BacktestQueue';

export interface BacktestFunctionProps {
  /** Absolute path of the handler file, one of `HANDLER_ENTRIES`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Days the function's log group keeps events. */
  readonly logRetentionDays: number;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default - none, the function shares the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** Extra environment; prefer the `bind*` helpers, which grant and set the variable together. @default {} */
  readonly environment?: Record<string, string>;
}

/**
 * One place for the defaults every function shares: Node 24 on arm64, ESM bundle built with the local esbuild,
 * its own log group with a retention, X-Ray tracing, Powertools settings, and a role that starts with nothing
 * but permission to write its own log group (no AWS managed policy). Permissions come only from `bind*`.
 */
export class BacktestFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BacktestFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      // Logs of a function that no longer exists are noise; the retention already bounds what is kept.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
      environment: {
        POWERTOOLS_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_ESBUILD.target,
        minify: true,
        sourceMap: true,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
        mainFields: [...LAMBDA_ESBUILD.mainFields],
        banner: LAMBDA_ESBUILD.banner,
        // The AWS SDK is bundled, not left to the runtime's copy: esbuild keeps only the clients a function calls
        // (they are side-effect free), while an external import loads every client the shared composition root
        // names, file by file through Node's CommonJS loader. Measured per function: bundled imports in about
        // 60 % of the CPU time (docs/performance.md, "Cold starts"). The deployed SDK is then the locked one.
        externalModules: [],
        esbuildArgs: {
          '--alias': Object.entries(LAMBDA_ESBUILD.alias).map(([from, to]) => `${from}=${to}`),
        },
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
  }

  /** Sets an environment variable; used by the `bind*` helpers only, so a variable never exists without its grant. */
  setEnv(name: string, value: string): void {
    this.fn.addEnvironment(name, value);
  }
}

/**
 * Exactly these item actions on the table, plus Query on the named indexes: for handlers whose adapter calls are
 * few and known (the admin user routes, the sweeper), so the grant lists what the code calls and nothing more.
 * DynamoDB has no IAM action for transactions: a TransactWriteItems is authorized by the action of each item in it.
 */
export interface ExactTableAccess {
  readonly actions: readonly DynamoDbItemAction[];
  /** Indexes the function queries, by name (must be declared in table-schema.ts). @default - none */
  readonly queryIndexes?: readonly string[];
}

export type DynamoDbItemAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:Query';

/**
 * `name` sets only the variable: for a handler whose adapter is built with the table's name but never touches
 * the table (the job repository takes both table names even where a use case only reads jobs).
 */
export type TableAccess = 'read' | 'write' | 'readWrite' | 'name' | ExactTableAccess;

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem'];

/**
 * Grants item-level actions on the table and, for reads, on each index named in table-schema.ts. Written out
 * instead of `grantReadData` so there is no `Scan`, no `DescribeTable` and no `index/*` wildcard.
 */
function bindTable(fn: BacktestFunction, table: ITable, def: TableDef, envName: string, access: TableAccess): void {
  fn.setEnv(envName, table.tableName);
  if (access === 'name') return;
  if (typeof access === 'object') {
    bindExactTableAccess(fn, table, def, access);
    return;
  }
  const actions = new Set<string>();
  if (access !== 'write') READ_ACTIONS.forEach((a) => actions.add(a));
  if (access !== 'read') WRITE_ACTIONS.forEach((a) => actions.add(a));
  const resources = [table.tableArn];
  if (access !== 'write') {
    for (const index of def.globalSecondaryIndexes) resources.push(`${table.tableArn}/index/${index.indexName}`);
  }
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions].sort(), resources }));
}

function bindExactTableAccess(fn: BacktestFunction, table: ITable, def: TableDef, access: ExactTableAccess): void {
  if (access.actions.length > 0) {
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...new Set(access.actions)].sort(), resources: [table.tableArn] }));
  }
  const indexes = access.queryIndexes ?? [];
  const known = new Set(def.globalSecondaryIndexes.map((i) => i.indexName));
  const unknown = indexes.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`Table ${def.id} has no index ${unknown.join(', ')} (see table-schema.ts)`);
  if (indexes.length > 0) {
    const resources = indexes.map((name) => `${table.tableArn}/index/${name}`);
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources }));
  }
}

/** `JOBS_TABLE` plus the matching grant. */
export function bindJobsTable(fn: BacktestFunction, table: ITable, access: TableAccess): void {
  bindTable(fn, table, JOBS_TABLE, 'JOBS_TABLE', access);
}

/** `USERS_TABLE` plus the matching grant. */
export function bindUsersTable(fn: BacktestFunction, table: ITable, access: TableAccess): void {
  bindTable(fn, table, USERS_TABLE, 'USERS_TABLE', access);
}

/** `LEADERBOARD_TABLE` plus the matching grant. */
export function bindLeaderboardTable(fn: BacktestFunction, table: ITable, access: TableAccess): void {
  bindTable(fn, table, LEADERBOARD_TABLE, 'LEADERBOARD_TABLE', access);
}

/** `CONNECTIONS_TABLE` plus the matching grant. */
export function bindConnectionsTable(fn: BacktestFunction, table: ITable, access: TableAccess): void {
  bindTable(fn, table, CONNECTIONS_TABLE, 'CONNECTIONS_TABLE', access);
}

/**
 * Where user tiers live, for the admin user routes: the Cognito pool whose `custom:tier` the pre-token trigger
 * copies into ID tokens, or, with an external OIDC issuer (no pool), the `tier` attribute of the Users table profile.
 */
export type UserDirectorySource = { readonly kind: 'cognito'; readonly userPool: IUserPool } | { readonly kind: 'users-table'; readonly usersTable: ITable };

/**
 * `USER_DIRECTORY` (+ `USER_POOL_ID`) and what the matching adapter calls:
 * - Cognito: `ListUsers` on the pool (users are found by `sub`), plus `AdminUpdateUserAttributes` for `readWrite`;
 * - Users table: `GetItem` on the table, plus `UpdateItem` for `readWrite` (the caller binds `USERS_TABLE`).
 */
export function bindUserDirectory(fn: BacktestFunction, directory: UserDirectorySource, access: 'read' | 'readWrite'): void {
  if (directory.kind === 'cognito') {
    fn.setEnv('USER_DIRECTORY', 'cognito');
    fn.setEnv('USER_POOL_ID', directory.userPool.userPoolId);
    const actions = ['cognito-idp:ListUsers', ...(access === 'readWrite' ? ['cognito-idp:AdminUpdateUserAttributes'] : [])];
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [directory.userPool.userPoolArn] }));
    return;
  }
  fn.setEnv('USER_DIRECTORY', 'users-table');
  const actions = ['dynamodb:GetItem', ...(access === 'readWrite' ? ['dynamodb:UpdateItem'] : [])];
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [directory.usersTable.tableArn] }));
}

/**
 * `ADMIN_USER_POOL_ID` plus ListUsers and AdminListGroupsForUser on the pool, for handlers that honour the admin
 * claim: they confirm it against the pool's admin group (cached a minute), so a demoted admin loses admin rights
 * within a minute instead of when their token expires. With an external issuer there is no pool to ask: nothing is
 * set and the claim stands.
 */
export function bindAdminDirectory(fn: BacktestFunction, directory: UserDirectorySource): void {
  if (directory.kind !== 'cognito') return;
  fn.setEnv('ADMIN_USER_POOL_ID', directory.userPool.userPoolId);
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['cognito-idp:ListUsers', 'cognito-idp:AdminListGroupsForUser'], resources: [directory.userPool.userPoolArn] }),
  );
}

const envTier = (tier: Tier): string => tier.toUpperCase();

/**
 * `QUEUE_URL_<TIER>` for all three tiers plus, by access:
 * - `send`: SendMessage (only: the adapter sends by URL, so no GetQueueUrl or GetQueueAttributes) on the three tier
 *   queues (submit, the stuck-job sweeper);
 * - `stats`: GetQueueAttributes only, on the tier queues and their DLQs, and `DLQ_URL_<TIER>` (admin view);
 *   no ReceiveMessage, so the API can count DLQ messages but never read them;
 * - `urls`: no permission at all (the worker, whose queue permission comes from its event source).
 */
export function bindTierQueues(fn: BacktestFunction, queues: JobQueues, access: 'send' | 'stats' | 'urls'): void {
  for (const tier of TIERS) {
    const { queue, dlq } = queues.byTier[tier];
    fn.setEnv(`QUEUE_URL_${envTier(tier)}`, queue.queueUrl);
    if (access === 'send') queue.grant(fn.role, 'sqs:SendMessage');
    if (access === 'stats') {
      queue.grant(fn.role, 'sqs:GetQueueAttributes');
      dlq.grant(fn.role, 'sqs:GetQueueAttributes');
      fn.setEnv(`DLQ_URL_${envTier(tier)}`, dlq.queueUrl);
    }
  }
}

/** `MARKET_DATA_BUCKET`, GetObject on its objects and ListBucket (so a missing key is a 404, not a 403). */
export function bindMarketData(fn: BacktestFunction, bucket: IBucket): void {
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('*')] }));
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  fn.setEnv('MARKET_DATA_BUCKET', bucket.bucketName);
  acknowledgeWildcardResource(
    fn.role,
    bucket.arnForObjects('*'),
    'Market data keys are <SYMBOL>/<timeframe>.csv for any symbol the operator uploads; GetObject only, on this one bucket.',
  );
}

/**
 * `WS_MANAGEMENT_ENDPOINT` (the stage's https callback URL) plus execute-api:ManageConnections on this API's
 * stage only: enough to post to, look up and close connections, and nothing on any other API.
 */
export function bindManagementApi(fn: BacktestFunction, api: IWebSocketApi, stage: WebSocketStage): void {
  const connections = Stack.of(api).formatArn({ service: 'execute-api', resource: api.apiId, resourceName: `${stage.stageName}/*/@connections/*` });
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connections] }));
  fn.setEnv('WS_MANAGEMENT_ENDPOINT', stage.callbackUrl);
  acknowledgeWildcardResource(
    fn.role,
    connections,
    'Connection ids are created at runtime; the grant is limited to this API and stage, and to the @connections management path.',
  );
}

/**
 * `TIER_CONCURRENCY` (JSON, e.g. `{"free":5,"basic":20,"pro":50}`): the maxConcurrency the workers are deployed with,
 * context overrides included, so the admin queue view reports what runs rather than the tier table (no grant needed).
 */
export function bindTierConcurrency(fn: BacktestFunction, tiers: Readonly<Record<Tier, TierSettings>>): void {
  fn.setEnv('TIER_CONCURRENCY', tierConcurrencyValue(tiers));
}

/** `JWT_ISSUER`, `JWT_AUDIENCE`, `JWKS_URL`: what the WebSocket authorizer verifies tokens against (no grant needed). */
export function bindJwtVerification(fn: BacktestFunction, jwt: { issuer: string; audience: string; jwksUrl: string }): void {
  fn.setEnv('JWT_ISSUER', jwt.issuer);
  fn.setEnv('JWT_AUDIENCE', jwt.audience);
  fn.setEnv('JWKS_URL', jwt.jwksUrl);
}

/**
 * Acknowledges cdk-nag's IAM5 finding for one wildcard resource, rendered the way cdk-nag renders it (tokens
 * flattened to `<LogicalId.Arn>`, `<AWS::Region>`...), so the acknowledgment covers exactly that resource and
 * nothing else. The resource must resolve in `scope`'s stack at construction time (same-stack tokens or an
 * explicit `Fn.importValue`; an automatic cross-stack reference only becomes an import later, at synthesis).
 */
export function acknowledgeWildcardResource(scope: Construct, resource: string, reason: string): void {
  const rendered = flattenCfnReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${rendered}]`, reason });
}
