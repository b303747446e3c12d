import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import { BacktestFunction, bindJobsTable, bindTierQueues, bindUsersTable } from './backtest-function.ts';
import type { JobQueues } from './job-queues.ts';

export interface StuckJobSweeperProps {
  readonly queues: JobQueues;
  readonly jobsTable: ITable;
  readonly usersTable: ITable;
  readonly logRetentionDays: number;
  /** How often the sweep runs. @default events.Schedule.rate(Duration.minutes(1)) */
  readonly schedule?: events.Schedule;
}

/** A sweep reads at most 500 live jobs per tier and status; a minute is ample and ends before the next run starts. */
export const SWEEPER_TIMEOUT_SECONDS = 60;

/**
 * The recovery loop of the queues (docs/faults.md): every minute it re-sends the message of a job left `queued`
 * with no message (its submit died between the job write and the SQS send), and fails with a refund a job left
 * `running` on its last attempt by a worker that died. It comes after the workers in the pipeline because it
 * repairs what submit and the workers left behind.
 *
 * Grants are exactly the job repository calls it makes: `listLive` (Query on the byQueueState index), `get`
 * (GetItem), `touchStuckQueued` (UpdateItem on Jobs) and `fail` (a transaction of an UpdateItem on Jobs and the
 * refund, an UpdateItem on Users), plus SendMessage on the tier queues. Nothing reads or deletes queue messages.
 */
export class StuckJobSweeper extends Construct {
  readonly sweeper: BacktestFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: StuckJobSweeperProps) {
    super(scope, id);
    this.sweeper = new BacktestFunction(this, 'Sweeper', {
      entry: HANDLER_ENTRIES.requeueStuck,
      description: 'Every minute: re-sends the message of jobs stuck queued, fails jobs abandoned on their last attempt',
      timeout: Duration.seconds(SWEEPER_TIMEOUT_SECONDS),
      logRetentionDays: props.logRetentionDays,
    });
    bindJobsTable(this.sweeper, props.jobsTable, { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], queryIndexes: ['byQueueState'] });
    bindUsersTable(this.sweeper, props.usersTable, { actions: ['dynamodb:UpdateItem'] });
    bindTierQueues(this.sweeper, props.queues, 'send');
    // The next run a minute later is the retry: a failed sweep retried on top of it would only add load, and the
    // SweeperErrors alarm counts each failure once.
    this.sweeper.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Runs the stuck-job sweeper',
      schedule: props.schedule ?? events.Schedule.rate(Duration.minutes(1)),
      // A sweep that could not be delivered within a minute is superseded by the next one.
      targets: [new targets.LambdaFunction(this.sweeper.fn, { retryAttempts: 2, maxEventAge: Duration.minutes(1) })],
    });
  }
}
