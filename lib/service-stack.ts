import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { AppConfig } from './app-config.ts';
import { HttpApi } from './constructs/http-api.ts';
import { JobQueues } from './constructs/job-queues.ts';
import { Observability } from './constructs/observability.ts';
import { ProgressStream } from './constructs/progress-stream.ts';
import { StuckJobSweeper } from './constructs/stuck-job-sweeper.ts';
import { WebSocketApi } from './constructs/websocket-api.ts';
import { Workers } from './constructs/workers.ts';
import { applyFaultInjection } from './fault-injection.ts';
import type { StatefulStack } from './stateful-stack.ts';
import type { Construct } from 'constructs';
import { TIERS } from '../lambdas/core/tiers.ts';

export interface ServiceStackProps extends StackProps {
  readonly config: AppConfig;
  readonly stateful: StatefulStack;
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
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const jwt = stateful.auth.jwt;
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
      marketDataBucket,
      userDirectory: stateful.auth.userPool
        ? { kind: 'cognito', userPool: stateful.auth.userPool }
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
      logRetentionDays,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
    });
    this.progressStream = new ProgressStream(this, 'ProgressStream', {
      jobsTable: stateful.jobsTable,
      connectionsTable: stateful.connectionsTable,
      webSocketApi: this.webSocketApi.api,
      webSocketStage: this.webSocketApi.stage,
      logRetentionDays,
    });
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
