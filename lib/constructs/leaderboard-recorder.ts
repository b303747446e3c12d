import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LEADERBOARD_STREAM_SETTINGS as SETTINGS } from '../definitions/leaderboard-stream-settings.ts';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import { BacktestFunction, bindConnectionsTable, bindLeaderboardTable, bindManagementApi } from './backtest-function.ts';

export interface LeaderboardRecorderProps {
  /** The Jobs table; its stream's second consumer (the progress notifier is the first). */
  readonly jobsTable: ITable;
  readonly leaderboardTable: ITable;
  readonly connectionsTable: ITable;
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly webSocketStage: apigwv2.WebSocketStage;
  readonly logRetentionDays: number;
}

/**
 * Jobs stream → leaderboard-recorder: a job that reached a final state settles its pending publication, if it has one
 * (docs/leaderboard.md, "How an entry is stored"). A second consumer of the stream rather than a step in the worker,
 * so the job pipeline is unchanged and a leaderboard failure can never fail or delay a job.
 */
export class LeaderboardRecorder extends Construct {
  readonly recorder: BacktestFunction;
  readonly dlq: sqs.Queue;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: LeaderboardRecorderProps) {
    super(scope, id);
    this.recorder = new BacktestFunction(this, 'Recorder', {
      entry: HANDLER_ENTRIES.leaderboardRecorder,
      description: 'DynamoDB stream of Jobs: stores leaderboard entries when their out-of-sample job succeeds, and pushes them to board watchers',
      timeout: Duration.seconds(30),
      logRetentionDays: props.logRetentionDays,
    });
    // Exactly what DynamoDbLeaderboardStore does here: read and delete the pending publication, read the owner's slot
    // and entry, and the replacement transaction (Put/Update the slot, Put the entry, Delete the old one).
    bindLeaderboardTable(this.recorder, props.leaderboardTable, { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] });
    // Board watchers: subscribers (Query) and deleting gone connections, as the progress notifier does.
    bindConnectionsTable(this.recorder, props.connectionsTable, { actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'] });
    bindManagementApi(this.recorder, props.webSocketApi, props.webSocketStage);

    this.dlq = new sqs.Queue(this, 'FailedRecords', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the leaderboard stream mapping; it holds pointers to failed stream batches.',
    });
    this.eventSource = new DynamoEventSource(props.jobsTable, {
      startingPosition: lambda.StartingPosition[SETTINGS.startingPosition],
      batchSize: SETTINGS.batchSize,
      retryAttempts: SETTINGS.retryAttempts,
      bisectBatchOnError: SETTINGS.bisectBatchOnError,
      reportBatchItemFailures: SETTINGS.reportBatchItemFailures,
      maxRecordAge: Duration.seconds(SETTINGS.maxRecordAgeSeconds),
      onFailure: new SqsDlq(this.dlq),
      filters: [lambda.FilterCriteria.filter(SETTINGS.filter as unknown as Record<string, unknown>)],
    });
    this.recorder.fn.addEventSource(this.eventSource);
    Validations.of(this.recorder.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray (as on every function) and dynamodb:ListStreams, added by the DynamoDB event source; neither supports resource-level permissions.',
    });
  }
}
