import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PROGRESS_STREAM_SETTINGS as SETTINGS } from '../definitions/progress-stream-settings.ts';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import { BacktestFunction, bindConnectionsTable, bindJobsTable, bindManagementApi, bindUsersTable } from './backtest-function.ts';

export interface ProgressStreamProps {
  /** The Jobs table; must have a stream (table-schema.ts declares NEW_AND_OLD_IMAGES). */
  readonly jobsTable: ITable;
  readonly connectionsTable: ITable;
  /** Only its name: the job repository the queue refresh reads through is built with it; no access is granted. */
  readonly usersTable: ITable;
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly webSocketStage: apigwv2.WebSocketStage;
  readonly logRetentionDays: number;
}

/**
 * DynamoDB stream of Jobs → progress-notifier → PostToConnection. Only INSERT and MODIFY records pass the filter:
 * clients see jobs appear and change, while REMOVE records (TTL expiry, which is not a status change) never
 * invoke the function. No batching window: the mapping invokes as soon as records arrive, which is what keeps
 * progress under the 2 s target. Failures are bounded (retries, bisect to isolate a poison record, then the DLQ)
 * so one bad record cannot stall the shard.
 */
export class ProgressStream extends Construct {
  readonly notifier: BacktestFunction;
  readonly dlq: sqs.Queue;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: ProgressStreamProps) {
    super(scope, id);
    this.notifier = new BacktestFunction(this, 'Notifier', {
      entry: HANDLER_ENTRIES.progressNotifier,
      description: 'DynamoDB stream of Jobs: pushes progress to every subscribed WebSocket connection',
      timeout: Duration.seconds(30),
      logRetentionDays: props.logRetentionDays,
    });
    // subscribers with their token expiry (Query), and deleteConnection (Query + BatchWrite) for gone or expired
    // connections; on Connections it does nothing else.
    bindConnectionsTable(this.notifier, props.connectionsTable, { actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'] });
    // When a job leaves a tier's queue: the tier's queued and running jobs (byQueueState), its throughput item and
    // each watched queued job (GetItem), to push their new position (refreshQueuePositions). Read only.
    bindJobsTable(this.notifier, props.jobsTable, { actions: ['dynamodb:GetItem'], queryIndexes: ['byQueueState'] });
    bindUsersTable(this.notifier, props.usersTable, 'name');
    bindManagementApi(this.notifier, props.webSocketApi, props.webSocketStage);

    this.dlq = new sqs.Queue(this, 'FailedRecords', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the Jobs stream mapping; it holds pointers to failed stream batches.',
    });

    // Every number and switch from the plain-data settings the local stream poller reads too.
    this.eventSource = new DynamoEventSource(props.jobsTable, {
      startingPosition: lambda.StartingPosition[SETTINGS.startingPosition],
      batchSize: SETTINGS.batchSize,
      retryAttempts: SETTINGS.retryAttempts,
      bisectBatchOnError: SETTINGS.bisectBatchOnError,
      reportBatchItemFailures: SETTINGS.reportBatchItemFailures,
      parallelizationFactor: SETTINGS.parallelizationFactor,
      maxRecordAge: Duration.seconds(SETTINGS.maxRecordAgeSeconds),
      onFailure: new SqsDlq(this.dlq),
      filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.or(...SETTINGS.eventNames) })],
    });
    this.notifier.fn.addEventSource(this.eventSource);
    Validations.of(this.notifier.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray (as on every function) and dynamodb:ListStreams, added by the DynamoDB event source; neither supports resource-level permissions.',
    });
  }
}
