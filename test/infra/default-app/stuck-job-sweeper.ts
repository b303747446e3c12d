import { beforeAll, describe, expect, it } from 'vitest';
import { TIERS } from '../../../lambdas/core/tiers.ts';
import { SWEEPER_ERRORS_ALARM_THRESHOLD } from '../../../lib/constructs/observability.ts';
import { SWEEPER_TIMEOUT_SECONDS } from '../../../lib/constructs/stuck-job-sweeper.ts';
import { defaultApp } from '../support/default-app.ts';
import type { SynthResult } from '../support/synth-app.ts';
import { logicalIdAt, mentions, resources, type CfnResource } from '../support/template-queries.ts';

export function describeStuckJobSweeper(): void {
  describe('stuck-job sweeper (EventBridge schedule → requeue-stuck)', () => {
    let synth: SynthResult;
    let sweeperId: string;
    let sweeper: CfnResource;

    beforeAll(() => {
      synth = defaultApp();
      sweeperId = logicalIdAt(synth.service, 'AWS::Lambda::Function', 'StuckJobSweeper/Sweeper/Function/');
      sweeper = resources(synth.service, 'AWS::Lambda::Function')[sweeperId];
    });

    it('runs every minute: one enabled rule, rate(1 minute), whose only target is the sweeper', () => {
      const rules = Object.values(resources(synth.service, 'AWS::Events::Rule')).filter((r) =>
        (r.Properties?.Targets as { Arn: unknown }[]).some((t) => mentions(t.Arn, sweeperId)),
      );

      expect(rules).toHaveLength(1);
      expect(rules[0].Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
      expect(rules[0].Properties?.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [sweeperId, 'Arn'] } })]);
    });

    it('lets EventBridge invoke the sweeper from that rule only', () => {
      const ruleId = logicalIdAt(synth.service, 'AWS::Events::Rule', 'StuckJobSweeper/Schedule/');
      const permissions = Object.values(resources(synth.service, 'AWS::Lambda::Permission')).filter((p) => mentions(p.Properties?.FunctionName, sweeperId));

      expect(permissions).toHaveLength(1);
      expect(permissions[0].Properties).toMatchObject({ Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] } });
    });

    it('ends a sweep within its minute and does not retry a failed one on top of the next run', () => {
      const invokeConfig = Object.values(resources(synth.service, 'AWS::Lambda::EventInvokeConfig')).find((c) => mentions(c.Properties?.FunctionName, sweeperId));

      expect(sweeper.Properties?.Timeout).toBe(SWEEPER_TIMEOUT_SECONDS);
      expect(SWEEPER_TIMEOUT_SECONDS).toBeLessThanOrEqual(60);
      expect(invokeConfig?.Properties).toMatchObject({ MaximumRetryAttempts: 0 });
    });

    it('gets the tables and the three tier queue URLs its handler reads', () => {
      const env = (sweeper.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

      expect(Object.keys(env)).toEqual(expect.arrayContaining(['JOBS_TABLE', 'USERS_TABLE', ...TIERS.map((t) => `QUEUE_URL_${t.toUpperCase()}`)]));
      expect(Object.keys(env).filter((name) => name.startsWith('DLQ_URL_'))).toEqual([]);
    });

    it('alarms when sweeps keep failing', () => {
      const alarm = Object.values(resources(synth.service, 'AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties?.MetricName === 'Errors' && mentions(a.Properties?.Dimensions, sweeperId),
      );

      expect(alarm?.Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        Statistic: 'Sum',
        Threshold: SWEEPER_ERRORS_ALARM_THRESHOLD,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });
  });
}
