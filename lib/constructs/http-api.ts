import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { JwtSettings } from '../app-config.ts';
import { HTTP_API_CORS } from '../definitions/http-api-cors.ts';
import { httpRouteList, routeKeyOf, type HttpRouteId } from '../definitions/http-routes.ts';
import { ROUTE_THROTTLES } from '../definitions/route-throttles.ts';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import { BacktestFunction, bindAdminDirectory, bindJobsTable, bindLeaderboardTable, bindMarketData, bindTierConcurrency, bindTierQueues, bindUserDirectory, bindUsersTable, type UserDirectorySource } from './backtest-function.ts';
import { LEADERBOARD_TABLE } from '../../lambdas/adapters/table-schema.ts';
import type { JobQueues } from './job-queues.ts';
import type { Tier, TierSettings } from '../../lambdas/core/tiers.ts';

export interface HttpApiProps {
  readonly jwt: JwtSettings;
  readonly queues: JobQueues;
  /** The tier table with the context's concurrency overrides, as the workers get it: the admin queue view reports it. */
  readonly tiers: Readonly<Record<Tier, TierSettings>>;
  readonly jobsTable: ITable;
  readonly usersTable: ITable;
  /** Published leaderboard entries (docs/leaderboard.md). */
  readonly leaderboardTable: ITable;
  /** Submit checks symbols and dates against its listing; GET /symbols lists it. */
  readonly marketDataBucket: IBucket;
  /**
   * Where the admin user routes read and change tiers: the Cognito pool (its `custom:tier` becomes the token's
   * `tier` claim), or the Users table when an external OIDC issuer signs the tokens (then a change is stored but
   * reaches tokens only if that issuer reads it).
   */
  readonly userDirectory: UserDirectorySource;
  readonly logRetentionDays: number;
  /** Steady-state requests per second across the stage. */
  readonly rateLimit: number;
  /** Burst allowance across the stage. */
  readonly burstLimit: number;
  /** Origins browsers may call from. @default ['*'] (HTTP_API_CORS: tokens travel in a header, never in cookies) */
  readonly corsOrigins?: string[];
}

/**
 * What each route's function may do, keyed by the route ids of lib/definitions/http-routes.ts: a Record over every
 * id, so a route added there without grants here (or grants for a route that no longer exists) does not compile.
 * Each function gets only what its use case calls (docs/wiring.md, "needs").
 */
const ROUTE_GRANTS: Record<HttpRouteId, (fn: BacktestFunction, props: HttpApiProps) => void> = {
  // Exactly what submit calls (docs/wiring.md): the job is the one item it creates (PutItem, conditional on a new
  // id); on Users the debit, the daily counter, the idempotency record, the ledger entry and the submit-rate bucket
  // are all conditional updates, and GetItem reads a replayed key or the balance for a 402. fail() after a lost
  // queue send is a conditional UpdateItem on the job. No Delete or BatchWrite, and no Put on Users. The dry run
  // (?dryRun=true) counts the tier's live jobs on byQueueState and reads the tier's throughput item (GetItem).
  submit: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], queryIndexes: ['byQueueState'] });
    bindUsersTable(fn, props.usersTable, { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] });
    bindTierQueues(fn, props.queues, 'send');
    // The symbol check reads the cached listing: ListBucket, and GetObject to learn each object's first and last bar.
    bindMarketData(fn, props.marketDataBucket);
  },
  listJobs: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, 'read');
    bindUsersTable(fn, props.usersTable, 'name');
  },
  getJob: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, 'read');
    bindUsersTable(fn, props.usersTable, 'name');
  },
  // Cancel reads the job and changes it with conditional updates; the refund and its ledger entry are updates too.
  cancelJob: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] });
    bindUsersTable(fn, props.usersTable, { actions: ['dynamodb:UpdateItem'] });
  },
  adminQueues: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, 'read');
    bindUsersTable(fn, props.usersTable, 'name');
    bindTierQueues(fn, props.queues, 'stats');
    bindTierConcurrency(fn, props.tiers);
    bindAdminDirectory(fn, props.userDirectory);
  },
  // The admin user routes: the Users table grants are what DynamoDbAccountStore calls for each use case (get:
  // GetItem; credits: GetItem then one transaction of conditional updates, the balance and its ledger entry; tier:
  // one ledger entry, an update), the directory's come from bindUserDirectory.
  adminUser: (fn, props) => {
    bindUsersTable(fn, props.usersTable, { actions: ['dynamodb:GetItem'] });
    bindUserDirectory(fn, props.userDirectory, 'read');
    bindAdminDirectory(fn, props.userDirectory);
  },
  adminCredits: (fn, props) => {
    bindUsersTable(fn, props.usersTable, { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] });
    bindUserDirectory(fn, props.userDirectory, 'read');
    bindAdminDirectory(fn, props.userDirectory);
  },
  // Changing a tier writes the directory, then appends the change to the user's ledger (UpdateItem on Users).
  adminTier: (fn, props) => {
    bindUsersTable(fn, props.usersTable, { actions: ['dynamodb:UpdateItem'] });
    bindUserDirectory(fn, props.userDirectory, 'readWrite');
    bindAdminDirectory(fn, props.userDirectory);
  },
  // GET /me reads the caller's account: one GetItem on Users (DynamoDbAccountStore.get).
  me: (fn, props) => {
    bindUsersTable(fn, props.usersTable, { actions: ['dynamodb:GetItem'] });
  },
  // The strategies and the OpenAPI document are compiled in: no AWS access at all.
  strategies: () => {},
  openapi: () => {},
  // The ledger is read with one Query on the user's partition of the Users table (begins_with LEDGER#).
  myLedger: (fn, props) => {
    bindUsersTable(fn, props.usersTable, { actions: ['dynamodb:Query'] });
  },
  adminUserLedger: (fn, props) => {
    bindUsersTable(fn, props.usersTable, { actions: ['dynamodb:Query'] });
    bindAdminDirectory(fn, props.userDirectory);
  },
  symbols: (fn, props) => {
    bindMarketData(fn, props.marketDataBucket);
  },
  // The result sub-resources read one job, like GET /backtests/{jobId}.
  jobEquity: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, 'read');
    bindUsersTable(fn, props.usersTable, 'name');
  },
  jobTrades: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, 'read');
    bindUsersTable(fn, props.usersTable, 'name');
  },
  jobSweep: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, 'read');
    bindUsersTable(fn, props.usersTable, 'name');
  },
  // Leaderboard (docs/leaderboard.md). The boards are compiled in; a board is read with one Query on a rank index.
  leaderboards: () => {},
  leaderboard: (fn, props) => {
    bindLeaderboardTable(fn, props.leaderboardTable, { actions: [], queryIndexes: LEADERBOARD_TABLE.globalSecondaryIndexes.map((i) => i.indexName) });
  },
  // Publish reads the caller's job, loads both windows' data, counts the publish (UpdateItem), stores the pending
  // publication (PutItem, DeleteItem if the submit fails) and submits the out-of-sample job with submit's own grants.
  publish: (fn, props) => {
    ROUTE_GRANTS.submit(fn, props);
    bindLeaderboardTable(fn, props.leaderboardTable, { actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] });
  },
  // Unpublish reads the caller's job and the owner's slot, then deletes the slot and the entry in one transaction.
  unpublish: (fn, props) => {
    bindJobsTable(fn, props.jobsTable, 'read');
    bindUsersTable(fn, props.usersTable, 'name');
    bindLeaderboardTable(fn, props.leaderboardTable, { actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem'] });
  },
  // Copy reads the entry, then is an ordinary submit.
  copyEntry: (fn, props) => {
    ROUTE_GRANTS.submit(fn, props);
    bindLeaderboardTable(fn, props.leaderboardTable, { actions: ['dynamodb:GetItem'] });
  },
};

/**
 * The HTTP API of DESIGN.md: one Lambda per route of HTTP_ROUTES (lib/definitions/http-routes.ts), each with only the
 * grants ROUTE_GRANTS gives it, and the JWT authorizer on every route but the ones the table marks `auth: 'none'`
 * (also set as the API default so a route added later cannot be left open by omission).
 */
export class HttpApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly functions: Record<HttpRouteId, BacktestFunction>;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, {
      jwtAudience: [props.jwt.audience],
      identitySource: ['$request.header.Authorization'],
    });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Backtest jobs: submit, read, list, cancel; admin queue view and user administration',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      corsPreflight: {
        allowOrigins: props.corsOrigins ?? [...HTTP_API_CORS.defaultAllowOrigins],
        allowMethods: HTTP_API_CORS.allowMethods.map((method) => apigwv2.CorsHttpMethod[method]),
        allowHeaders: [...HTTP_API_CORS.allowHeaders],
        exposeHeaders: [...HTTP_API_CORS.exposeHeaders],
        maxAge: Duration.seconds(HTTP_API_CORS.maxAgeSeconds),
      },
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetentionDays as logs.RetentionDays });
    this.stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            route: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            user: '$context.authorizer.claims.sub',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    const functions = {} as Record<HttpRouteId, BacktestFunction>;
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const { id: routeId, route } of httpRouteList()) {
      // The construct id is the route id capitalised (`GetJob`): it names the function's logical id, so it must stay put.
      const fnId = routeId[0].toUpperCase() + routeId.slice(1);
      const fn = new BacktestFunction(this, fnId, {
        entry: HANDLER_ENTRIES[route.handler],
        description: `${routeKeyOf(route)}: ${route.summary}`,
        logRetentionDays: props.logRetentionDays,
      });
      ROUTE_GRANTS[routeId](fn, props);
      const routes = this.api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${fnId}Integration`, fn.fn),
        // `auth: 'none'` (GET /openapi.json only) must say so explicitly: the API's default authorizer applies otherwise.
        authorizer: route.auth === 'none' ? new apigwv2.HttpNoneAuthorizer() : authorizer,
      });
      functions[routeId] = fn;
      if (route.auth === 'none') {
        for (const r of routes) {
          Validations.of(r).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: 'GET /openapi.json is the public description of the API (no user data), like a docs page; every other route has the JWT authorizer.',
          });
        }
      }
      const throttle = ROUTE_THROTTLES[routeId];
      if (throttle) {
        // routeSettings is raw CloudFormation JSON here (the L1 property is untyped): CloudFormation's casing.
        routeSettings[routeKeyOf(route)] = { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit };
        // Route settings name a route key that must exist before the stage is updated.
        for (const r of routes) this.stage.node.addDependency(r);
      }
    }
    this.functions = functions;
    (this.stage.node.defaultChild as apigwv2.CfnStage).routeSettings = routeSettings;
  }

  /** The invoke URL, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }
}
