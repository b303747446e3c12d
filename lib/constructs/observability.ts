import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TIERS, WORKER_TIMEOUT_SECONDS, type Tier } from '../../lambdas/core/tiers.ts';
import { NOTIFIER_METRICS, SUBMIT_METRICS, SUBMIT_REJECT_REASONS, WORKER_METRICS } from '../../lambdas/handlers/shared/metric-names.ts';
import { METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME, type BacktestFunction } from './backtest-function.ts';
import type { JobQueues } from './job-queues.ts';

export interface ObservabilityProps {
  readonly queues: JobQueues;
  readonly workers: Record<Tier, BacktestFunction>;
  readonly notifier: BacktestFunction;
  /** The stuck-job sweeper (scheduled every minute). */
  readonly sweeper: BacktestFunction;
  readonly streamDlq: sqs.IQueue;
  readonly httpApi: apigwv2.HttpApi;
  /** Topic the alarms notify. @default - alarms only change state; wire notifications yourself */
  readonly alarmTopicArn?: string;
}

/**
 * How long the oldest message of a tier may wait before someone should look. DESIGN.md targets an average wait
 * under 30 s; the paid tiers alarm first, the free tier (5 workers, 3 jobs a day) is allowed to queue longer.
 */
export const OLDEST_MESSAGE_ALARM_SECONDS: Readonly<Record<Tier, number>> = { free: 600, basic: 120, pro: 60 };
/** Progress should reach clients within 2 s; a stream consumer this far behind breaks that. */
export const ITERATOR_AGE_ALARM_MS = 5_000;

/**
 * Failed sweeps in 5 minutes (about 5 runs) before the alarm fires: one failed run is repaired by the next, three
 * mean the sweeper cannot read or write the tables and stuck jobs stay stuck.
 */
export const SWEEPER_ERRORS_ALARM_THRESHOLD = 2;

/** DESIGN.md: average queue wait under 30 s, progress to clients within 2 s; drawn on the widgets as lines and alarmed on. */
export const QUEUE_WAIT_TARGET_SECONDS = 30;
export const PUSH_LATENCY_TARGET_MS = 2_000;

/**
 * The goal alarms (queue wait, push latency) judge 5-minute statistics and fire when 3 in a row miss the goal. They
 * measure the product's promise, not an outage: a burst (the load test submits 100 jobs at once) may miss it for a
 * few minutes and catch up, which is fine; 15 minutes of missing it means the tier lacks concurrency or the stream
 * is slow. 1-minute periods would also be noisy: a quiet tier's minute can hold one job, and its average is that
 * job. Outages are caught sooner by `<Tier>OldestMessage` (nothing is claimed, so QueueWaitSeconds is not even
 * emitted) and `StreamIteratorAge`.
 */
export const GOAL_ALARM_PERIOD = Duration.minutes(5);
export const GOAL_ALARM_EVALUATION_PERIODS = 3;

/**
 * A custom metric the handlers emit as EMF (lambdas/handlers/shared/metric-names.ts); every one carries `service`.
 * Alarms pass no label: a labelled metric makes CDK render the alarm as a metric-math `Metrics` list.
 */
function appMetric(metricName: string, dimensions: Record<string, string>, statistic: string, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: POWERTOOLS_SERVICE_NAME, ...dimensions },
    statistic,
    period: Duration.minutes(1),
    ...(label === undefined ? {} : { label }),
  });
}

/**
 * One count summed over the tiers. FILL keeps the sum defined in a minute when only some tiers emitted; without it
 * a single quiet tier would blank the line.
 */
function allTiers(metricName: string, label: string): cloudwatch.MathExpression {
  // Ids are unique per graph, and every expression on the widget brings its own three metrics.
  const id = (tier: Tier): string => `${metricName.toLowerCase()}_${tier}`;
  const usingMetrics = Object.fromEntries(TIERS.map((tier) => [id(tier), appMetric(metricName, { tier }, 'Sum', tier)]));
  return new cloudwatch.MathExpression({
    expression: TIERS.map((tier) => `FILL(${id(tier)}, 0)`).join(' + '),
    usingMetrics,
    label,
    period: Duration.minutes(1),
  });
}

/** Alarms on the failure signals of each pipeline stage, and one dashboard showing the pipeline top to bottom. */
export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const topic = props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : undefined;
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string, periods = 1): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (topic) {
        created.addAlarmAction(new actions.SnsAction(topic));
        created.addOkAction(new actions.SnsAction(topic));
      }
      this.alarms.push(created);
      return created;
    };

    const queueWidgets: cloudwatch.IWidget[] = [];
    const workerWidgets: cloudwatch.IWidget[] = [];
    for (const tier of TIERS) {
      const { queue, dlq } = props.queues.byTier[tier];
      const worker = props.workers[tier].fn;
      const name = tier[0].toUpperCase() + tier.slice(1);

      const dlqDepth = dlq.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' });
      alarm(`${name}DlqDepth`, dlqDepth, 0, `${tier} jobs failed every attempt and are in the DLQ`);
      const oldest = queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' });
      alarm(`${name}OldestMessage`, oldest, OLDEST_MESSAGE_ALARM_SECONDS[tier], `${tier} jobs are waiting too long for a worker`, 3);
      const errors = worker.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' });
      alarm(`${name}WorkerErrors`, errors, 0, `${tier} worker invocations crashed or timed out (not job failures, which are reported per record)`);
      const p95 = worker.metricDuration({ period: Duration.minutes(5), statistic: 'p95' });
      alarm(`${name}WorkerDurationP95`, p95, WORKER_TIMEOUT_SECONDS * 1000 * 0.8, `${tier} worker p95 duration is near the ${WORKER_TIMEOUT_SECONDS} s timeout`, 2);
      // Per tier, with the tier's full dimension set (service, tier): an alarm matches no metric on a subset.
      // JobsDeadLettered gets no alarm of its own: every dead-lettered message lands in the DLQ, which `<Tier>DlqDepth` watches.
      const queueWait = appMetric(WORKER_METRICS.queueWait, { tier }, 'Average').with({ period: GOAL_ALARM_PERIOD });
      alarm(`${name}QueueWaitAverage`, queueWait, QUEUE_WAIT_TARGET_SECONDS, `${tier} jobs wait longer than the ${QUEUE_WAIT_TARGET_SECONDS} s average goal (DESIGN.md) for a worker`, GOAL_ALARM_EVALUATION_PERIODS);

      queueWidgets.push(
        new cloudwatch.GraphWidget({
          title: `${tier}: waiting / in flight / DLQ`,
          left: [
            queue.metricApproximateNumberOfMessagesVisible({ period: minute, label: 'waiting' }),
            queue.metricApproximateNumberOfMessagesNotVisible({ period: minute, label: 'in flight' }),
            dlqDepth.with({ label: 'DLQ' }),
          ],
          right: [oldest.with({ label: 'oldest age (s)' })],
          width: 8,
        }),
      );
      workerWidgets.push(
        new cloudwatch.GraphWidget({
          title: `${tier} worker`,
          left: [
            worker.metricInvocations({ period: minute, label: 'invocations' }),
            worker.metricErrors({ period: minute, label: 'errors' }),
            worker.metric('ConcurrentExecutions', { period: minute, statistic: 'Maximum', label: 'concurrency' }),
          ],
          right: [p95.with({ period: minute, label: 'duration p95 (ms)' })],
          width: 8,
        }),
      );
    }

    const iteratorAge = props.notifier.fn.metric('IteratorAge', { period: minute, statistic: 'Maximum' });
    alarm('StreamIteratorAge', iteratorAge, ITERATOR_AGE_ALARM_MS, 'Progress notifications are falling behind the Jobs stream', 3);
    const streamDlqDepth = props.streamDlq.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' });
    alarm('StreamDlqDepth', streamDlqDepth, 0, 'Stream batches the progress notifier gave up on');
    const notifierErrors = props.notifier.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' });
    const sweeperErrors = props.sweeper.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' });
    alarm('SweeperErrors', sweeperErrors, SWEEPER_ERRORS_ALARM_THRESHOLD, 'The stuck-job sweeper keeps failing: jobs stuck queued or abandoned running are not being repaired');
    // The notifier emits with `service` only, so that is the whole dimension set.
    const pushP95 = appMetric(NOTIFIER_METRICS.latency, {}, 'p95').with({ period: GOAL_ALARM_PERIOD });
    alarm('PushLatencyP95', pushP95, PUSH_LATENCY_TARGET_MS, `Progress reaches clients later than the ${PUSH_LATENCY_TARGET_MS} ms goal (DESIGN.md), p95 from job write to push`, GOAL_ALARM_EVALUATION_PERIODS);
    const api5xx = props.httpApi.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    alarm('HttpApi5xx', api5xx, 5, 'The HTTP API is returning server errors');

    // What the jobs themselves did (the handlers' EMF metrics), next to what the services report above.
    const jobWidgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({
        title: 'Queue wait per tier (s, first attempt)',
        // One axis: the target is about the average, and p95 shows how far the slow tail sits from it.
        left: TIERS.flatMap((tier) => [appMetric(WORKER_METRICS.queueWait, { tier }, 'p95', `${tier} p95`), appMetric(WORKER_METRICS.queueWait, { tier }, 'Average', `${tier} avg`)]),
        leftAnnotations: [{ value: QUEUE_WAIT_TARGET_SECONDS, label: `target avg ${QUEUE_WAIT_TARGET_SECONDS} s` }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Jobs by outcome (all tiers, per minute)',
        left: [
          allTiers(SUBMIT_METRICS.submitted, 'submitted'),
          allTiers(WORKER_METRICS.succeeded, 'succeeded'),
          allTiers(WORKER_METRICS.failed, 'failed'),
          allTiers(WORKER_METRICS.cancelled, 'cancelled'),
          allTiers(WORKER_METRICS.retried, 'retried'),
          allTiers(WORKER_METRICS.deadLettered, 'dead-lettered'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Run time per tier (s, p95)',
        left: TIERS.map((tier) => appMetric(WORKER_METRICS.run, { tier }, 'p95', tier)),
        leftAnnotations: [{ value: WORKER_TIMEOUT_SECONDS, label: 'worker timeout' }],
        width: 8,
      }),
    ];
    const pushLatency = (statistic: string): cloudwatch.Metric => appMetric(NOTIFIER_METRICS.latency, {}, statistic, `push latency ${statistic} (ms)`);
    const deliveryWidgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({
        title: 'Progress push latency (job write to client)',
        left: [pushLatency('p50'), pushLatency('p95'), pushLatency('Maximum')],
        leftAnnotations: [{ value: PUSH_LATENCY_TARGET_MS, label: `target ${PUSH_LATENCY_TARGET_MS} ms` }],
        right: [appMetric(NOTIFIER_METRICS.pushed, {}, 'Sum', 'pushed'), appMetric(NOTIFIER_METRICS.gone, {}, 'Sum', 'connections gone')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Submits refused, by reason',
        left: SUBMIT_REJECT_REASONS.map((reason) => appMetric(SUBMIT_METRICS.rejected, { reason }, 'Sum', reason)),
        width: 12,
      }),
    ];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'HTTP API',
            left: [props.httpApi.metricCount({ period: minute, label: 'requests' }), props.httpApi.metricClientError({ period: minute, label: '4xx' }), api5xx.with({ period: minute, label: '5xx' })],
            right: [props.httpApi.metricLatency({ period: minute, statistic: 'p95', label: 'latency p95 (ms)' })],
            width: 24,
          }),
        ],
        queueWidgets,
        workerWidgets,
        jobWidgets,
        deliveryWidgets,
        [
          new cloudwatch.GraphWidget({
            title: 'Progress stream',
            left: [iteratorAge.with({ label: 'iterator age max (ms)' })],
            right: [notifierErrors.with({ period: minute, label: 'notifier errors' }), streamDlqDepth.with({ label: 'stream DLQ' })],
            width: 16,
          }),
          new cloudwatch.GraphWidget({
            title: 'Stuck-job sweeper',
            left: [props.sweeper.fn.metricInvocations({ period: minute, label: 'runs' }), sweeperErrors.with({ period: minute, label: 'errors' })],
            width: 8,
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
