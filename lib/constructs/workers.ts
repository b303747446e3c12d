import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TIERS, WORKER_TIMEOUT_SECONDS, type Tier, type TierSettings } from '../../lambdas/core/tiers.ts';
import { HANDLER_ENTRIES } from '../handler-entries.ts';
import { BacktestFunction, bindJobsTable, bindMarketData, bindTierQueues, bindUsersTable } from './backtest-function.ts';
import type { JobQueues } from './job-queues.ts';

export interface WorkersProps {
  /** Tier table after context overrides. */
  readonly tiers: Record<Tier, TierSettings>;
  readonly queues: JobQueues;
  readonly jobsTable: ITable;
  readonly usersTable: ITable;
  readonly marketDataBucket: IBucket;
  readonly logRetentionDays: number;
  /**
   * Reserve each tier's maxConcurrency (context `reservedConcurrency=true`). Off by default: a new account's
   * concurrency quota (often 10) cannot hold 75 reserved executions plus the 100 AWS keeps unreserved, and the
   * deploy would fail. Without it the event source mapping's maxConcurrency still caps each tier.
   * @default false
   */
  readonly reserveConcurrency?: boolean;
}

/**
 * One worker function per tier (same code, `TIER` in the environment). Reserved concurrency equal to the tier's
 * maxConcurrency (opt-in, see `reserveConcurrency`) guarantees the pro tier its capacity whatever else runs in the account, and the event source
 * mapping's maxConcurrency keeps SQS from invoking more than that (so messages are not throttled back to the
 * queue, which would burn receives and push them to the DLQ).
 */
export class Workers extends Construct {
  readonly byTier: Record<Tier, BacktestFunction>;
  readonly eventSources: Record<Tier, SqsEventSource>;

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    const byTier = {} as Record<Tier, BacktestFunction>;
    const eventSources = {} as Record<Tier, SqsEventSource>;
    for (const tier of TIERS) {
      const settings = props.tiers[tier];
      const name = tier[0].toUpperCase() + tier.slice(1);
      const worker = new BacktestFunction(this, name, {
        entry: HANDLER_ENTRIES.worker,
        description: `Runs ${tier}-tier backtests from the ${tier} queue`,
        memorySize: settings.workerMemoryMb,
        timeout: Duration.seconds(WORKER_TIMEOUT_SECONDS),
        reservedConcurrentExecutions: props.reserveConcurrency ? settings.maxConcurrency : undefined,
        environment: { TIER: tier },
        logRetentionDays: props.logRetentionDays,
      });
      // What DynamoDbJobRepository calls for claim, progress, complete, retry, fail and cancel: reads and conditional
      // updates of the job, and on Users only the refund (an atomic ADD) and its ledger entry (a conditional update).
      // No Put, Delete or BatchWrite: a worker can move a job through its states but never create or erase one.
      bindJobsTable(worker, props.jobsTable, { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] });
      bindUsersTable(worker, props.usersTable, { actions: ['dynamodb:UpdateItem'] });
      // Fanned-out sweeps (docs/fan-out.md): a chunk's partial result is its own item, written once with a conditional
      // Put, and the merge reads them back with BatchGetItem. The Put is limited to chunk keys (`<jobId>#chunk#<n>`),
      // so the worker still cannot create or overwrite a job.
      worker.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [props.jobsTable.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['*#chunk#*'] } },
        }),
      );
      worker.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [props.jobsTable.tableArn] }));
      bindMarketData(worker, props.marketDataBucket);
      // URLs for the adapters; receive, delete and change visibility on its own queue come from the event source below.
      bindTierQueues(worker, props.queues, 'urls');
      // A fanned-out sweep's dispatch sends its chunk messages to the tier's own queue (and no other).
      props.queues.byTier[tier].queue.grantSendMessages(worker.fn);

      const source = new SqsEventSource(props.queues.byTier[tier].queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: settings.maxConcurrency,
      });
      worker.fn.addEventSource(source);
      byTier[tier] = worker;
      eventSources[tier] = source;
    }
    this.byTier = byTier;
    this.eventSources = eventSources;
  }
}
