import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { JwtSettings } from '../app-config.ts';
import { HTTP_API_CORS } from '../definitions/http-api-cors.ts';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import { BacktestFunction, bindJobsTable, bindTierConcurrency, bindTierQueues, bindUserDirectory, bindUsersTable, type UserDirectorySource } from './backtest-function.ts';
import type { JobQueues } from './job-queues.ts';
import type { Tier, TierSettings } from '../../lambdas/core/tiers.ts';

export interface HttpApiProps {
  readonly jwt: JwtSettings;
  readonly queues: JobQueues;
  /** The tier table with the context's concurrency overrides, as the workers get it: the admin queue view reports it. */
  readonly tiers: Readonly<Record<Tier, TierSettings>>;
  readonly jobsTable: ITable;
  readonly usersTable: ITable;
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
 * The HTTP API of DESIGN.md: one Lambda per route, each with only the grants its use case needs, and the JWT
 * authorizer on every route (also set as the API default so a route added later cannot be left open).
 */
export class HttpApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly functions: Record<'submit' | 'getJob' | 'listJobs' | 'cancelJob' | 'adminQueues' | 'adminUser' | 'adminCredits' | 'adminTier', BacktestFunction>;

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

    const make = (fnId: string, entry: string, description: string): BacktestFunction =>
      new BacktestFunction(this, fnId, { entry, description, logRetentionDays: props.logRetentionDays });

    const submit = make('Submit', HANDLER_ENTRIES.submit, 'POST /backtests: validate, rate-limit, debit credits, enqueue on the tier queue');
    bindJobsTable(submit, props.jobsTable, 'readWrite');
    bindUsersTable(submit, props.usersTable, 'readWrite');
    bindTierQueues(submit, props.queues, 'send');

    const getJob = make('GetJob', HANDLER_ENTRIES.getJob, 'GET /backtests/{jobId}: one job of the caller');
    bindJobsTable(getJob, props.jobsTable, 'read');
    bindUsersTable(getJob, props.usersTable, 'name');

    const listJobs = make('ListJobs', HANDLER_ENTRIES.listJobs, "GET /backtests: the caller's jobs, newest first");
    bindJobsTable(listJobs, props.jobsTable, 'read');
    bindUsersTable(listJobs, props.usersTable, 'name');

    const cancelJob = make('CancelJob', HANDLER_ENTRIES.cancelJob, 'DELETE /backtests/{jobId}: cancel and refund');
    bindJobsTable(cancelJob, props.jobsTable, 'readWrite');
    bindUsersTable(cancelJob, props.usersTable, 'readWrite');

    const adminQueues = make('AdminQueues', HANDLER_ENTRIES.adminQueues, 'GET /admin/queues: per-tier queue and DLQ depth (admin only)');
    bindJobsTable(adminQueues, props.jobsTable, 'read');
    bindUsersTable(adminQueues, props.usersTable, 'name');
    bindTierQueues(adminQueues, props.queues, 'stats');
    bindTierConcurrency(adminQueues, props.tiers);

    // The admin user routes: the Users table grants are what DynamoDbAccountStore calls for each use case (get:
    // GetItem; credits: UpdateItem only, an atomic ADD or conditional SET), the directory's come from bindUserDirectory.
    const adminUser = make('AdminUser', HANDLER_ENTRIES.adminUser, "GET /admin/users/{userId}: a user's tier, credits and submissions today (admin only)");
    bindUsersTable(adminUser, props.usersTable, { actions: ['dynamodb:GetItem'] });
    bindUserDirectory(adminUser, props.userDirectory, 'read');

    const adminCredits = make('AdminCredits', HANDLER_ENTRIES.adminCredits, "POST /admin/users/{userId}/credits: grant or claw back a user's credits (admin only)");
    bindUsersTable(adminCredits, props.usersTable, { actions: ['dynamodb:UpdateItem'] });
    bindUserDirectory(adminCredits, props.userDirectory, 'read');

    // Changing a tier touches only the directory; the account store is built (it needs the name) but never called.
    const adminTier = make('AdminTier', HANDLER_ENTRIES.adminTier, "PUT /admin/users/{userId}/tier: the tier of the user's next token (admin only)");
    bindUsersTable(adminTier, props.usersTable, 'name');
    bindUserDirectory(adminTier, props.userDirectory, 'readWrite');

    const route = (path: string, method: apigwv2.HttpMethod, fn: BacktestFunction): void => {
      this.api.addRoutes({
        path,
        methods: [method],
        integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn.fn),
        authorizer,
      });
    };
    route('/backtests', apigwv2.HttpMethod.POST, submit);
    route('/backtests', apigwv2.HttpMethod.GET, listJobs);
    route('/backtests/{jobId}', apigwv2.HttpMethod.GET, getJob);
    route('/backtests/{jobId}', apigwv2.HttpMethod.DELETE, cancelJob);
    route('/admin/queues', apigwv2.HttpMethod.GET, adminQueues);
    route('/admin/users/{userId}', apigwv2.HttpMethod.GET, adminUser);
    route('/admin/users/{userId}/credits', apigwv2.HttpMethod.POST, adminCredits);
    route('/admin/users/{userId}/tier', apigwv2.HttpMethod.PUT, adminTier);

    this.functions = { submit, getJob, listJobs, cancelJob, adminQueues, adminUser, adminCredits, adminTier };
  }

  /** The invoke URL, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }
}
