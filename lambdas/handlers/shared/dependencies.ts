/**
 * Composition root: builds the real adapters from environment variables, once per cold start. Every builder
 * takes the env as a parameter (default process.env), so the local stack can build, say, one worker per tier in
 * one process with different TIER values. A missing variable throws a ConfigurationError naming it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ApiGatewayClientPush } from '../../adapters/api-gateway-client-push.ts';
import { CognitoAdminDirectory } from '../../adapters/cognito-admin-directory.ts';
import { CognitoUserDirectory } from '../../adapters/cognito-user-directory.ts';
import { CachedAdminDirectory } from '../../core/admin-check.ts';
import type { AdminDirectory } from '../../core/ports/admin-directory.ts';
import { DynamoDbAccountStore } from '../../adapters/dynamodb-account-store.ts';
import { DynamoDbUserDirectory } from '../../adapters/dynamodb-user-directory.ts';
import { describeFaults, faultConfigFromEnv, faultsEnabled, withFaults, type FaultConfig } from '../../adapters/fault-injection.ts';
import { CsvFolderMarketData } from '../../adapters/csv-folder-market-data.ts';
import { DynamoDbConnectionStore } from '../../adapters/dynamodb-connection-store.ts';
import { documentClient } from '../../adapters/dynamodb-document-client.ts';
import { DynamoDbJobRepository } from '../../adapters/dynamodb-job-repository.ts';
import { DynamoDbSubmitRateLimiter } from '../../adapters/dynamodb-submit-rate-limiter.ts';
import { RoutingMarketData } from '../../adapters/routing-market-data.ts';
import { S3MarketData } from '../../adapters/s3-market-data.ts';
import { SqsJobQueue } from '../../adapters/sqs-job-queue.ts';
import { SqsMessageVisibility } from '../../adapters/sqs-message-visibility.ts';
import { SyntheticMarketData } from '../../adapters/synthetic-market-data.ts';
import { systemClock, type Clock } from '../../core/ports/clock.ts';
import type { ClientPush } from '../../core/ports/client-push.ts';
import type { AccountStore } from '../../core/ports/account-store.ts';
import type { ConnectionStore } from '../../core/ports/connection-store.ts';
import type { UserDirectory } from '../../core/ports/user-directory.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { JobRepository } from '../../core/ports/job-repository.ts';
import type { MarketData } from '../../core/ports/market-data.ts';
import type { MessageVisibility } from '../../core/ports/message-visibility.ts';
import type { SubmitRateLimiter } from '../../core/ports/submit-rate-limiter.ts';
import type { SymbolCatalog } from '../../core/ports/symbol-catalog.ts';
import { tierSettingsWith, type Tier, type TierSettings } from '../../core/tiers.ts';
import { envSchemas, parseEnv } from './env.ts';
import { symbolCatalog } from './symbol-catalog-dependencies.ts';

// Split out so their functions' bundles leave the other clients out; re-exported for the callers of this module.
export { authorizerDependencies } from './authorizer-dependencies.ts';
export { symbolsDependencies, warmSymbolCatalog } from './symbol-catalog-dependencies.ts';

type Env = NodeJS.ProcessEnv;

// SDK clients read AWS_REGION and AWS_ENDPOINT_URL_<SERVICE> themselves, which is how the local stack redirects them.
const dynamo = (): DynamoDBClient => new DynamoDBClient({});
const sqs = (): SQSClient => new SQSClient({});

function queueUrls(env: Env): Record<Tier, string> {
  const e = parseEnv(envSchemas.queues, env);
  return { free: e.QUEUE_URL_FREE, basic: e.QUEUE_URL_BASIC, pro: e.QUEUE_URL_PRO };
}

/**
 * FAULT_* variables (docs/faults.md), read once per cold start. Any fault that is on is announced loudly, so a
 * deployment or a local run with faults can never pass for a healthy one.
 */
function faults(env: Env): FaultConfig {
  const config = faultConfigFromEnv(env);
  if (faultsEnabled(config)) {
    new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'backtest-faults' }).warn('FAULT INJECTION IS ON: failures below are deliberate', {
      faults: describeFaults(config),
    });
  }
  return config;
}

function jobRepository(env: Env): JobRepository {
  const { JOBS_TABLE } = parseEnv(envSchemas.jobsTable, env);
  const { USERS_TABLE } = parseEnv(envSchemas.usersTable, env);
  return new DynamoDbJobRepository({ client: documentClient(dynamo()), jobsTable: JOBS_TABLE, usersTable: USERS_TABLE });
}

function connectionStore(env: Env): ConnectionStore {
  const { CONNECTIONS_TABLE } = parseEnv(envSchemas.connectionsTable, env);
  return new DynamoDbConnectionStore({ client: documentClient(dynamo()), table: CONNECTIONS_TABLE });
}

function clientPush(env: Env): ClientPush {
  const { WS_MANAGEMENT_ENDPOINT } = parseEnv(envSchemas.wsManagement, env);
  const push = new ApiGatewayClientPush({ client: new ApiGatewayManagementApiClient({ endpoint: WS_MANAGEMENT_ENDPOINT }) });
  return withFaults.push(push, faults(env));
}

function jobQueue(env: Env): JobQueue {
  return withFaults.queue(new SqsJobQueue({ client: sqs(), queueUrls: queueUrls(env) }), faults(env));
}

/** The admin group of the Cognito pool (ADMIN_USER_POOL_ID), answers cached for a minute; undefined without a pool. */
function adminDirectory(env: Env): AdminDirectory | undefined {
  const { ADMIN_USER_POOL_ID } = parseEnv(envSchemas.adminDirectory, env);
  if (!ADMIN_USER_POOL_ID) return undefined;
  return new CachedAdminDirectory(new CognitoAdminDirectory({ client: new CognitoIdentityProviderClient({}), userPoolId: ADMIN_USER_POOL_ID }), systemClock);
}

function userDirectory(env: Env): UserDirectory {
  const e = parseEnv(envSchemas.userDirectory, env);
  if (e.USER_DIRECTORY === 'cognito') return new CognitoUserDirectory({ client: new CognitoIdentityProviderClient({}), userPoolId: e.USER_POOL_ID });
  const { USERS_TABLE } = parseEnv(envSchemas.usersTable, env);
  return new DynamoDbUserDirectory({ client: documentClient(dynamo()), usersTable: USERS_TABLE });
}

/** SYNTH-* from the generator; other symbols from S3 (MARKET_DATA_BUCKET) or, locally, a CSV folder (DATA_DIR). */
function marketData(env: Env): MarketData {
  const e = parseEnv(envSchemas.marketData, env);
  const real = e.DATA_DIR !== undefined ? new CsvFolderMarketData({ dir: e.DATA_DIR }) : new S3MarketData({ client: new S3Client({}), bucket: e.MARKET_DATA_BUCKET! });
  return new RoutingMarketData({ synthetic: new SyntheticMarketData(), real });
}

/**
 * The tier table with the deployed maxConcurrency where the environment says it (TIER_CONCURRENCY: the local stack
 * sets it for every handler); the queue ETA counts the tier's worker slots with it.
 */
function deployedTiers(env: Env): Record<Tier, TierSettings> {
  const { TIER_CONCURRENCY } = parseEnv(envSchemas.tierConcurrency, env);
  return tierSettingsWith(TIER_CONCURRENCY ?? {});
}

export function submitDependencies(env: Env = process.env): {
  jobs: JobRepository;
  queue: JobQueue;
  clock: Clock;
  symbols: SymbolCatalog;
  rateLimiter: SubmitRateLimiter;
  tiers: Record<Tier, TierSettings>;
} {
  const { USERS_TABLE } = parseEnv(envSchemas.usersTable, env);
  return {
    tiers: deployedTiers(env),
    jobs: jobRepository(env),
    queue: jobQueue(env),
    clock: systemClock,
    symbols: symbolCatalog(env),
    // The per-user submit token bucket (tiers.ts submitRate), next to the user's credits in the Users table.
    rateLimiter: new DynamoDbSubmitRateLimiter({ client: documentClient(dynamo()), usersTable: USERS_TABLE }),
  };
}

/** `GET /me`: the caller's account (Users GetItem). */
export function meDependencies(env: Env = process.env): { accounts: AccountStore; clock: Clock } {
  const { USERS_TABLE } = parseEnv(envSchemas.usersTable, env);
  return { accounts: new DynamoDbAccountStore({ client: documentClient(dynamo()), usersTable: USERS_TABLE }), clock: systemClock };
}

/** get-job and list-jobs read only the Jobs table, but the repository also needs USERS_TABLE's name (it never writes it here). */
export function readDependencies(env: Env = process.env): { jobs: JobRepository; tiers: Record<Tier, TierSettings> } {
  return { jobs: jobRepository(env), tiers: deployedTiers(env) };
}

export function cancelDependencies(env: Env = process.env): { jobs: JobRepository; clock: Clock } {
  return { jobs: jobRepository(env), clock: systemClock };
}

/** The queue view reports the deployed maxConcurrency (TIER_CONCURRENCY), which context overrides may set apart from the tier table. */
export function adminQueuesDependencies(env: Env = process.env): {
  jobs: JobRepository;
  queue: JobQueue;
  clock: Clock;
  tiers: Record<Tier, TierSettings>;
  adminDirectory: AdminDirectory | undefined;
} {
  const d = parseEnv(envSchemas.deadLetterQueues, env);
  const dlqUrls = { free: d.DLQ_URL_FREE, basic: d.DLQ_URL_BASIC, pro: d.DLQ_URL_PRO };
  const { TIER_CONCURRENCY } = parseEnv(envSchemas.tierConcurrency, env);
  return {
    jobs: jobRepository(env),
    queue: new SqsJobQueue({ client: sqs(), queueUrls: queueUrls(env), dlqUrls }),
    clock: systemClock,
    tiers: tierSettingsWith(TIER_CONCURRENCY ?? {}),
    adminDirectory: adminDirectory(env),
  };
}

export function workerDependencies(env: Env = process.env): {
  jobs: JobRepository;
  marketData: MarketData;
  visibility: MessageVisibility;
  queue: JobQueue;
  clock: Clock;
  tier: Tier;
} {
  const { TIER } = parseEnv(envSchemas.workerTier, env);
  return {
    jobs: withFaults.workerJobs(jobRepository(env), faults(env)),
    marketData: marketData(env),
    visibility: new SqsMessageVisibility({ client: sqs(), queueUrls: queueUrls(env) }),
    // A fanned-out sweep's dispatch sends its chunk messages to the tier's own queue.
    queue: jobQueue(env),
    clock: systemClock,
    tier: TIER,
  };
}

export function notifierDependencies(env: Env = process.env): { connections: ConnectionStore; push: ClientPush } {
  return { connections: connectionStore(env), push: clientPush(env) };
}

/** The Jobs stream's progress notifier: also reads a tier's queue to push queued jobs their new position. */
export function progressNotifierDependencies(env: Env = process.env): { connections: ConnectionStore; push: ClientPush; jobs: JobRepository; tiers: Record<Tier, TierSettings> } {
  return { ...notifierDependencies(env), jobs: jobRepository(env), tiers: deployedTiers(env) };
}

export function connectionDependencies(env: Env = process.env): { connections: ConnectionStore; clock: Clock } {
  return { connections: connectionStore(env), clock: systemClock };
}

export function messageDependencies(env: Env = process.env): {
  connections: ConnectionStore;
  jobs: JobRepository;
  push: ClientPush;
  clock: Clock;
  adminDirectory: AdminDirectory | undefined;
  tiers: Record<Tier, TierSettings>;
} {
  // tiers: the subscribe snapshot's queue ETA counts the tier's worker slots as GET /backtests/{id} does.
  return { connections: connectionStore(env), jobs: jobRepository(env), push: clientPush(env), clock: systemClock, adminDirectory: adminDirectory(env), tiers: deployedTiers(env) };
}

/** The stuck-job sweeper: reads live jobs, re-sends their messages. */
export function sweeperDependencies(env: Env = process.env): { jobs: JobRepository; queue: JobQueue; clock: Clock } {
  return { jobs: jobRepository(env), queue: jobQueue(env), clock: systemClock };
}

/**
 * `GET /me/ledger`: the Users table only. The caller reads their own ledger, so no admin check and no user
 * directory: not building one keeps the Cognito client out of the function's bundle.
 */
export function ownLedgerDependencies(env: Env = process.env): { accounts: AccountStore } {
  const { USERS_TABLE } = parseEnv(envSchemas.usersTable, env);
  return { accounts: new DynamoDbAccountStore({ client: documentClient(dynamo()), usersTable: USERS_TABLE }) };
}

/** `GET /admin/users/{userId}/ledger`: the Users table, and the directory that confirms the admin claim. */
export function ledgerDependencies(env: Env = process.env): { accounts: AccountStore; adminDirectory: AdminDirectory | undefined } {
  const { USERS_TABLE } = parseEnv(envSchemas.usersTable, env);
  return { accounts: new DynamoDbAccountStore({ client: documentClient(dynamo()), usersTable: USERS_TABLE }), adminDirectory: adminDirectory(env) };
}

/** `/admin/users/{userId}` (get, credits, tier): the Users table, and the user directory tiers live in. */
export function adminUsersDependencies(env: Env = process.env): {
  accounts: AccountStore;
  directory: UserDirectory;
  clock: Clock;
  adminDirectory: AdminDirectory | undefined;
} {
  const { USERS_TABLE } = parseEnv(envSchemas.usersTable, env);
  return {
    accounts: new DynamoDbAccountStore({ client: documentClient(dynamo()), usersTable: USERS_TABLE }),
    directory: userDirectory(env),
    clock: systemClock,
    adminDirectory: adminDirectory(env),
  };
}
