import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { AppConfig } from './app-config.ts';
import { HttpApi } from './constructs/http-api.ts';
import { JobQueues } from './constructs/job-queues.ts';
import { EdgeFirewall } from './constructs/edge-firewall.ts';
import { Observability } from './constructs/observability.ts';
import { LeaderboardRecorder } from './constructs/leaderboard-recorder.ts';
import { ProgressStream } from './constructs/progress-stream.ts';
import { StuckJobSweeper } from './constructs/stuck-job-sweeper.ts';
import { WebSocketApi } from './constructs/websocket-api.ts';
import { WebHosting } from './constructs/web-hosting.ts';
import { WEB_SCOPES, WebSignIn } from './constructs/web-sign-in.ts';
import { Workers } from './constructs/workers.ts';
import { applyFaultInjection } from './fault-injection.ts';
import type { StatefulStack } from './stateful-stack.ts';
import type { Construct } from 'constructs';
import { TIERS } from '../lambdas/core/tiers.ts';

export interface ServiceStackProps extends StackProps {
  readonly config: AppConfig;
  readonly stateful: StatefulStack;
  /** The CLOUDFRONT-scope WebACL (us-east-1) for the distribution. @default - one is created in this stack (valid in us-east-1) */
  readonly webAclArn?: string;
}

/**
 * The stateless pipeline, constructs in the order a job flows through them: queues, the HTTP API that fills
 * them, the workers that drain them, the sweeper that repairs what a dead submit or worker left behind, the
 * WebSocket API and the stream that carries progress back, then the alarms and dashboard over all of it.
 */
export class ServiceStack extends Stack {
  readonly queues: JobQueues;
  readonly httpApi: HttpApi;
  readonly workers: Workers;
  readonly stuckJobSweeper: StuckJobSweeper;
  readonly webSocketApi: WebSocketApi;
  readonly progressStream: ProgressStream;
  readonly leaderboardRecorder: LeaderboardRecorder;
  readonly observability: Observability;
  /** The Cognito app client of the web app, CLI and scripts; undefined with an external issuer. */
  readonly webSignIn: WebSignIn | undefined;
  readonly webHosting: WebHosting;
  /** Set when this stack holds the WebACL itself (no `webAclArn` given). */
  readonly firewall: EdgeFirewall | undefined;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const pool = stateful.auth.cognito;
    // The web client's callback is the distribution's URL, known once WebHosting exists below (read at synthesis).
    let webUrl: string | undefined;
    this.webSignIn = pool
      ? new WebSignIn(this, 'WebSignIn', { pool, callbackUrls: () => [...(webUrl ? [`${webUrl}/`] : []), ...config.callbackUrls] })
      : undefined;
    const jwt =
      stateful.auth.externalJwt ??
      (pool && this.webSignIn
        ? { issuer: pool.issuer, audience: this.webSignIn.client.userPoolClientId, jwksUrl: `${pool.issuer}/.well-known/jwks.json` }
        : undefined);
    if (!jwt) throw new Error('The stateful stack has neither a user pool nor an external issuer');
    const logRetentionDays = config.logRetentionDays;
    this.addStackDependency(stateful);
    const marketDataBucket = s3.Bucket.fromBucketArn(this, 'MarketDataBucket', Fn.importValue(stateful.marketDataBucketArnExport));

    this.queues = new JobQueues(this, 'JobQueues');
    this.httpApi = new HttpApi(this, 'HttpApi', {
      jwt,
      queues: this.queues,
      tiers: config.tiers,
      jobsTable: stateful.jobsTable,
      usersTable: stateful.usersTable,
      leaderboardTable: stateful.leaderboardTable,
      marketDataBucket,
      userDirectory: pool
        ? { kind: 'cognito', userPool: pool.userPool }
        : { kind: 'users-table', usersTable: stateful.usersTable },
      logRetentionDays,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      corsOrigins: config.corsOrigins,
    });
    this.workers = new Workers(this, 'Workers', {
      tiers: config.tiers,
      queues: this.queues,
      jobsTable: stateful.jobsTable,
      usersTable: stateful.usersTable,
      marketDataBucket,
      logRetentionDays,
      reserveConcurrency: config.reservedConcurrency,
    });
    this.stuckJobSweeper = new StuckJobSweeper(this, 'StuckJobSweeper', {
      queues: this.queues,
      jobsTable: stateful.jobsTable,
      usersTable: stateful.usersTable,
      logRetentionDays,
    });
    this.webSocketApi = new WebSocketApi(this, 'WebSocketApi', {
      jwt,
      jobsTable: stateful.jobsTable,
      connectionsTable: stateful.connectionsTable,
      usersTable: stateful.usersTable,
      userDirectory: pool ? { kind: 'cognito', userPool: pool.userPool } : { kind: 'users-table', usersTable: stateful.usersTable },
      logRetentionDays,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
    });
    this.progressStream = new ProgressStream(this, 'ProgressStream', {
      jobsTable: stateful.jobsTable,
      connectionsTable: stateful.connectionsTable,
      usersTable: stateful.usersTable,
      webSocketApi: this.webSocketApi.api,
      webSocketStage: this.webSocketApi.stage,
      logRetentionDays,
    });
    this.leaderboardRecorder = new LeaderboardRecorder(this, 'LeaderboardRecorder', {
      jobsTable: stateful.jobsTable,
      leaderboardTable: stateful.leaderboardTable,
      connectionsTable: stateful.connectionsTable,
      webSocketApi: this.webSocketApi.api,
      webSocketStage: this.webSocketApi.stage,
      logRetentionDays,
    });
    this.firewall = props.webAclArn === undefined
      ? new EdgeFirewall(this, 'EdgeFirewall', { requestsPerIp: config.wafRequestsPerIp, submitsPerIp: config.wafSubmitsPerIp })
      : undefined;
    this.webHosting = new WebHosting(this, 'WebHosting', {
      httpApi: this.httpApi.api,
      webSocketUrl: this.webSocketApi.url,
      signIn: pool && this.webSignIn
        ? { type: 'cognito', domain: pool.domainUrl, clientId: this.webSignIn.client.userPoolClientId, scopes: WEB_SCOPES }
        : { type: 'token-link' },
      webAclArn: props.webAclArn ?? this.firewall!.arn,
    });
    webUrl = this.webHosting.url;
    this.observability = new Observability(this, 'Observability', {
      queues: this.queues,
      workers: this.workers.byTier,
      notifier: this.progressStream.notifier,
      sweeper: this.stuckJobSweeper.sweeper,
      streamDlq: this.progressStream.dlq,
      httpApi: this.httpApi.api,
      alarmTopicArn: config.alarmTopicArn,
    });
    applyFaultInjection(this, config.faults, {
      worker: Object.values(this.workers.byTier),
      clientPush: [this.progressStream.notifier, this.webSocketApi.functions.message],
      jobSend: [this.httpApi.functions.submit, this.stuckJobSweeper.sweeper],
    });

    new CfnOutput(this, 'WebUrl', { value: `${this.webHosting.url}/`, description: 'The web app; the HTTP API is served under the same host (WAF-protected): use it as BACKTEST_API_URL' });
    if (this.webSignIn) new CfnOutput(this, 'UserPoolClientId', { value: this.webSignIn.client.userPoolClientId, description: 'Cognito app client (SRP and managed login with PKCE; no secret)' });
    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.url, description: 'Base URL of the HTTP API (POST /backtests, ...)' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketApi.url, description: 'Connect with ?token=<ID token>' });
    new CfnOutput(this, 'WebSocketManagementEndpoint', { value: this.webSocketApi.managementEndpoint, description: 'WS_MANAGEMENT_ENDPOINT of the notifier' });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName });
    for (const tier of TIERS) {
      const name = tier[0].toUpperCase() + tier.slice(1);
      new CfnOutput(this, `QueueUrl${name}`, { value: this.queues.byTier[tier].queue.queueUrl });
      new CfnOutput(this, `DlqUrl${name}`, { value: this.queues.byTier[tier].dlq.queueUrl });
    }
  }
}
