import { beforeAll, describe, expect, it } from 'vitest';
import { TIERS, WORKER_TIMEOUT_SECONDS, type Tier } from '../../../lambdas/core/tiers.ts';
import { ITERATOR_AGE_ALARM_MS, OLDEST_MESSAGE_ALARM_SECONDS } from '../../../lib/constructs/observability.ts';
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

    it('has one dashboard', () => {
      expect(Object.keys(resources(synth.service, 'AWS::CloudWatch::Dashboard'))).toHaveLength(1);
    });

    it('outputs what an operator and a client need', () => {
      const service = Object.keys(synth.service.toJSON().Outputs ?? {});
      const stateful = Object.keys(synth.stateful.toJSON().Outputs ?? {});

      expect(service).toEqual(
        expect.arrayContaining(['HttpApiUrl', 'WebSocketUrl', 'WebSocketManagementEndpoint', 'QueueUrlFree', 'QueueUrlBasic', 'QueueUrlPro', 'DlqUrlPro']),
      );
      expect(stateful).toEqual(expect.arrayContaining(['UserPoolId', 'UserPoolClientId', 'JwtIssuer', 'MarketDataBucketName', 'JobsTableName', 'UsersTableName']));
      expect(JSON.stringify(synth.service.toJSON().Outputs.WebSocketUrl.Value)).toContain('wss://');
    });
  });
}
