import { beforeAll, describe, expect, it } from 'vitest';
import { TIERS, WORKER_TIMEOUT_SECONDS, type Tier } from '../../../lambdas/core/tiers.ts';
import { ITERATOR_AGE_ALARM_MS, OLDEST_MESSAGE_ALARM_SECONDS, PUSH_LATENCY_TARGET_MS, QUEUE_WAIT_TARGET_SECONDS } from '../../../lib/constructs/observability.ts';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { logicalIdAt, mentions, resources, type CfnResource } from '../support/template-queries.ts';

const cap = (tier: Tier): string => tier[0].toUpperCase() + tier.slice(1);

export function describeObservability(): void {
  describe('alarms, dashboard and outputs', () => {
    let synth: SynthResult;
    const alarms = (): CfnResource[] => Object.values(resources(synth.service, 'AWS::CloudWatch::Alarm'));
    const alarmOn = (metricName: string, dimensionRef: string): CfnResource | undefined =>
      alarms().find((a) => a.Properties?.MetricName === metricName && mentions(a.Properties?.Dimensions, dimensionRef));

    beforeAll(() => {
      synth = defaultApp();
    });

    it.each(TIERS)('%s: alarms as soon as one message is in the DLQ, and when the oldest waiting job is too old', (tier) => {
      const dlq = alarmOn('ApproximateNumberOfMessagesVisible', logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${cap(tier)}Dlq/`));
      const oldest = alarmOn('ApproximateAgeOfOldestMessage', logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${cap(tier)}Queue/`));

      expect(dlq?.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      expect(oldest?.Properties).toMatchObject({ Threshold: OLDEST_MESSAGE_ALARM_SECONDS[tier], ComparisonOperator: 'GreaterThanThreshold' });
    });

    it.each(TIERS)('%s: alarms on worker errors and on p95 duration nearing the timeout', (tier) => {
      const workerId = logicalIdAt(synth.service, 'AWS::Lambda::Function', `Workers/${cap(tier)}/Function/`);
      const errors = alarmOn('Errors', workerId);
      const duration = alarmOn('Duration', workerId);

      expect(errors?.Properties).toMatchObject({ Threshold: 0, Statistic: 'Sum' });
      expect(duration?.Properties).toMatchObject({ ExtendedStatistic: 'p95' });
      expect(duration?.Properties?.Threshold as number).toBeLessThan(WORKER_TIMEOUT_SECONDS * 1000);
    });

    it('alarms when the progress stream falls behind', () => {
      const notifierId = logicalIdAt(synth.service, 'AWS::Lambda::Function', 'ProgressStream/Notifier/Function/');

      expect(alarmOn('IteratorAge', notifierId)?.Properties).toMatchObject({ Threshold: ITERATOR_AGE_ALARM_MS, Statistic: 'Maximum' });
    });

    describe('alarms on the design goals (DESIGN.md: average queue wait under 30 s, progress within 2 s)', () => {
      /** Alarms on one of the handlers' EMF metrics, with their dimensions as a plain name -> value map. */
      const appAlarms = (metricName: string) =>
        alarms()
          .filter((a) => a.Properties?.MetricName === metricName)
          .map((a) => ({
            ...a.Properties,
            Dimensions: Object.fromEntries(((a.Properties?.Dimensions ?? []) as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value])),
          }));
      // 5-minute statistics, 3 of 3 must miss: a burst that catches up stays quiet, 15 minutes behind the goal does not.
      const sustained = { Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 3, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' };

      it('one queue wait alarm per tier, on the average with the exact dimensions the worker emits (service and tier)', () => {
        const queueWait = appAlarms('QueueWaitSeconds');

        expect(queueWait).toHaveLength(TIERS.length);
        for (const tier of TIERS) {
          expect(queueWait).toContainEqual(
            expect.objectContaining({
              Namespace: 'BacktestQueue',
              Dimensions: { service: 'backtest-queue', tier },
              Statistic: 'Average',
              Threshold: QUEUE_WAIT_TARGET_SECONDS,
              ...sustained,
            }),
          );
        }
      });

      it('push latency alarms on p95 above 2 s, with the only dimension the notifier emits (service)', () => {
        const latency = appAlarms('PushLatencyMs');

        expect(latency).toHaveLength(1);
        expect(latency[0]).toMatchObject({
          Namespace: 'BacktestQueue',
          Dimensions: { service: 'backtest-queue' },
          ExtendedStatistic: 'p95',
          Threshold: PUSH_LATENCY_TARGET_MS,
          ...sustained,
        });
        expect(latency[0]).not.toHaveProperty('Statistic');
      });

      it('dead-lettered jobs are left to the DLQ depth alarms (one per tier), not alarmed twice', () => {
        const dlqDepth = TIERS.map((tier) => alarmOn('ApproximateNumberOfMessagesVisible', logicalIdAt(synth.service, 'AWS::SQS::Queue', `JobQueues/${cap(tier)}Dlq/`)));

        expect(dlqDepth.every((a) => a !== undefined)).toBe(true);
        expect(appAlarms('JobsDeadLettered')).toHaveLength(0);
      });
    });

    it('has one dashboard', () => {
      expect(Object.keys(resources(synth.service, 'AWS::CloudWatch::Dashboard'))).toHaveLength(1);
    });

    describe('dashboard widgets for the metrics the handlers emit (names and dimensions as in lambdas/handlers/shared/metric-names.ts)', () => {
      /** The dashboard JSON with every CloudFormation token (region, resource names) replaced by a placeholder word. */
      const widgets = (): { properties: { title: string; metrics: unknown[][]; annotations?: { horizontal?: { value: number }[] } } }[] => {
        const [dashboard] = Object.values(resources(synth.service, 'AWS::CloudWatch::Dashboard'));
        const body = dashboard.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] };
        const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(body['Fn::Join'][0]);
        return (JSON.parse(text) as { widgets: ReturnType<typeof widgets> }).widgets;
      };
      const widget = (titleStart: string) => {
        const found = widgets().find((w) => w.properties.title?.startsWith(titleStart));
        expect(found, `a widget titled "${titleStart}..."`).toBeDefined();
        return found!.properties;
      };
      /**
       * A metric line as "namespace name dim value ..." with the dimensions sorted by name (CloudWatch matches them in
       * any order), plus its stat (undefined = Average).
       */
      const lines = (metrics: unknown[][]) =>
        metrics
          .filter((m) => typeof m[0] === 'string')
          .map((m) => {
            const [namespace, name, ...flat] = m.slice(0, -1) as string[];
            const pairs = Array.from({ length: flat.length / 2 }, (_, i) => `${flat[2 * i]} ${flat[2 * i + 1]}`).sort();
            return { id: [namespace, name, ...pairs].join(' '), stat: (m.at(-1) as { stat?: string }).stat };
          });

      it('queue wait: p95 and average per tier, with the 30 s target', () => {
        const queueWait = widget('Queue wait per tier');
        const drawn = lines(queueWait.metrics);
        for (const tier of TIERS) {
          const id = `BacktestQueue QueueWaitSeconds service backtest-queue tier ${tier}`;
          expect(drawn).toContainEqual({ id, stat: 'p95' });
          expect(drawn).toContainEqual({ id, stat: undefined });
        }
        expect(queueWait.annotations?.horizontal?.map((a) => a.value)).toEqual([QUEUE_WAIT_TARGET_SECONDS]);
      });

      it('jobs by outcome: each outcome summed over the three tiers, gaps filled with 0', () => {
        const outcomes = widget('Jobs by outcome');
        const expressions = outcomes.metrics.map((m) => (m[0] as { expression?: string }).expression).filter((e): e is string => e !== undefined);
        expect(expressions).toHaveLength(6);
        const drawn = lines(outcomes.metrics);
        for (const name of ['JobsSubmitted', 'JobsSucceeded', 'JobsFailed', 'JobsCancelled', 'JobsRetried', 'JobsDeadLettered']) {
          for (const tier of TIERS) expect(drawn).toContainEqual({ id: `BacktestQueue ${name} service backtest-queue tier ${tier}`, stat: 'Sum' });
          expect(expressions).toContainEqual(TIERS.map((tier) => `FILL(${name.toLowerCase()}_${tier}, 0)`).join(' + '));
        }
      });

      it('push latency: p50, p95 and max against the 2 s target, with pushes and gone connections', () => {
        const latency = widget('Progress push latency');
        const drawn = lines(latency.metrics);
        for (const stat of ['p50', 'p95', 'Maximum']) expect(drawn).toContainEqual({ id: 'BacktestQueue PushLatencyMs service backtest-queue', stat });
        expect(drawn).toContainEqual({ id: 'BacktestQueue ProgressPushed service backtest-queue', stat: 'Sum' });
        expect(drawn).toContainEqual({ id: 'BacktestQueue ConnectionsGone service backtest-queue', stat: 'Sum' });
        expect(latency.annotations?.horizontal?.map((a) => a.value)).toEqual([PUSH_LATENCY_TARGET_MS]);
      });

      it('refused submits by each reason the submit handler reports', () => {
        const drawn = lines(widget('Submits refused').metrics);
        for (const reason of ['rate_limited', 'no_credits', 'validation']) {
          expect(drawn).toContainEqual({ id: `BacktestQueue SubmitRejected reason ${reason} service backtest-queue`, stat: 'Sum' });
        }
      });
    });

    it('outputs what an operator and a client need', () => {
      const service = Object.keys(synth.service.toJSON().Outputs ?? {});
      const stateful = Object.keys(synth.stateful.toJSON().Outputs ?? {});

      expect(service).toEqual(
        expect.arrayContaining(['WebUrl', 'UserPoolClientId', 'HttpApiUrl', 'WebSocketUrl', 'WebSocketManagementEndpoint', 'QueueUrlFree', 'QueueUrlBasic', 'QueueUrlPro', 'DlqUrlPro']),
      );
      expect(stateful).toEqual(expect.arrayContaining(['UserPoolId', 'AuthDomainUrl', 'JwtIssuer', 'MarketDataBucketName', 'JobsTableName', 'UsersTableName']));
      expect(JSON.stringify(synth.service.toJSON().Outputs.WebSocketUrl.Value)).toContain('wss://');
    });
  });
}
